import { describe, expect, it } from 'vitest';
import { applyMask, applyMaskBytewise } from '../../../src/rfc6455/mask.js';
import { pattern } from '../../helpers/frames.js';

const KEY = Uint8Array.of(0x9c, 0x01, 0x7e, 0xd4);

/** `length` bytes starting `alignment` bytes into a fresh buffer (byteOffset % 8 === alignment). */
function at(alignment: number, length: number, seed: number): Uint8Array {
  const backing = new Uint8Array(alignment + length + 16).fill(0x5a);
  const view = backing.subarray(alignment, alignment + length);
  view.set(pattern(length, seed));
  return view;
}

// The fast path works on 8-byte words: every residue of the address mod 8 has its own head length.
describe('applyMask (64-bit word path)', () => {
  it('equals the byte loop at every 8-byte alignment, phase and length 0..90', () => {
    for (let alignment = 0; alignment < 8; alignment++) {
      for (let length = 0; length <= 90; length++) {
        for (let phase = 0; phase < 4; phase++) {
          const fast = at(alignment, length, length + alignment);
          const slow = at(alignment, length, length + alignment);
          applyMask(fast, KEY, phase);
          applyMaskBytewise(slow, KEY, phase);
          expect(fast, `alignment ${alignment} length ${length} phase ${phase}`).toEqual(slow);
        }
      }
    }
  });

  it('equals the byte loop on a large payload at every alignment and leaves the bytes around it alone', () => {
    for (let alignment = 0; alignment < 8; alignment++) {
      const length = 65_536 + 13;
      const fast = at(alignment, length, 3);
      const slow = at(alignment, length, 3);
      applyMask(fast, KEY, alignment & 3);
      applyMaskBytewise(slow, KEY, alignment & 3);
      expect(Buffer.compare(fast, slow)).toBe(0);
      const backing = new Uint8Array(fast.buffer);
      expect(backing[alignment + length]).toBe(0x5a);
      if (alignment > 0) expect(backing[alignment - 1]).toBe(0x5a);
    }
  });
});

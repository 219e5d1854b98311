import { describe, expect, it } from 'vitest';
import { applyMask, applyMaskBytewise } from '../../../src/rfc6455/mask.js';
import { pattern } from '../../helpers/frames.js';

const KEY = Uint8Array.of(0x37, 0xfa, 0x21, 0x3d);

/** `length` bytes starting `alignment` bytes into a fresh buffer (so byteOffset % 4 === alignment). */
function at(alignment: number, length: number, seed: number): Uint8Array {
  const backing = new Uint8Array(alignment + length + 8);
  const view = backing.subarray(alignment, alignment + length);
  view.set(pattern(length, seed));
  return view;
}

describe('applyMask', () => {
  it('equals the byte loop at every alignment, phase and length 0..70', () => {
    for (let alignment = 0; alignment < 4; alignment++) {
      for (let length = 0; length <= 70; length++) {
        for (let phase = 0; phase < 4; phase++) {
          const fast = at(alignment, length, length);
          const slow = at(alignment, length, length);
          applyMask(fast, KEY, phase);
          applyMaskBytewise(slow, KEY, phase);
          expect(fast, `alignment ${alignment} length ${length} phase ${phase}`).toEqual(slow);
        }
      }
    }
  });

  it('equals the byte loop on large payloads', () => {
    for (const length of [1000, 65536 + 3, 1024 * 1024 + 1]) {
      for (const alignment of [0, 1, 3]) {
        const fast = at(alignment, length, 7);
        const slow = at(alignment, length, 7);
        applyMask(fast, KEY, 1);
        applyMaskBytewise(slow, KEY, 1);
        expect(fast.every((b, i) => b === slow[i])).toBe(true);
      }
    }
  });

  it('does not touch bytes outside the view', () => {
    const backing = new Uint8Array(80).fill(0xaa);
    applyMask(backing.subarray(3, 75), KEY);
    expect([...backing.subarray(0, 3), ...backing.subarray(75)]).toEqual(new Array(8).fill(0xaa));
  });

  it('masks RFC 6455 §5.7 "Hello"', () => {
    const data = new TextEncoder().encode('Hello');
    applyMask(data, KEY);
    expect([...data]).toEqual([0x7f, 0x9f, 0x4d, 0x51, 0x58]);
  });

  it('is its own inverse, piece by piece with offsets', () => {
    const original = pattern(333, 5);
    const whole = original.slice();
    applyMask(whole, KEY);
    const pieces = original.slice();
    for (const [start, end] of [[0, 5], [5, 100], [100, 101], [101, 333]] as const) {
      applyMask(pieces.subarray(start, end), KEY, start);
    }
    expect(pieces).toEqual(whole);
    applyMask(whole, KEY);
    expect(whole).toEqual(original);
  });
});

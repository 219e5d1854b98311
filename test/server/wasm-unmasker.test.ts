/**
 * The WebAssembly SIMD unmasker against the byte loop at every alignment, payload offset and
 * length (odd tails, block edges), its one-pass copy, its use by the parser, and the checked-in
 * module against a fresh compile of its .wat source.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { FrameParser } from '../../src/rfc6455/frame-parser.js';
import { applyMaskBytewise, jsUnmasker } from '../../src/rfc6455/mask.js';
import type { Unmasker } from '../../src/rfc6455/mask.js';
import { engineOptionsFor, serverUnmasker } from '../../server/socket/engine-options.js';
import { BLOCK_BYTES, WASM_MIN_BYTES, createWasmUnmasker, wasmKey } from '../../server/socket/wasm/wasm-unmasker.js';
// @ts-expect-error -- a plain .mjs build script without type declarations
import { expectedModuleText } from '../../tools/build-wasm.mjs';
import { clientFrame, concat, pattern } from '../helpers/frames.js';

const KEY = Uint8Array.of(0x9c, 0x01, 0x7e, 0xd4);
const PACKED = 0x9c017ed4;
const wasm = createWasmUnmasker()!;

/** `length` pattern bytes starting `alignment` bytes into a buffer whose other bytes are 0x5a. */
function at(alignment: number, length: number, seed: number): Uint8Array {
  const view = new Uint8Array(alignment + length + 16).fill(0x5a).subarray(alignment, alignment + length);
  view.set(pattern(length, seed));
  return view;
}

function reference(data: Uint8Array, offset: number): Uint8Array {
  const copy = data.slice();
  applyMaskBytewise(copy, KEY, offset);
  return copy;
}

function checkUnmask(unmasker: Unmasker, alignment: number, length: number, offset: number): void {
  const data = at(alignment, length, length * 7 + alignment);
  const expected = reference(data, offset);
  unmasker.unmask(data, PACKED, offset);
  expect(Buffer.compare(data, expected), `alignment ${alignment} length ${length} offset ${offset}`).toBe(0);
  const backing = new Uint8Array(data.buffer);
  expect(backing[alignment + length]).toBe(0x5a);
  if (alignment > 0) expect(backing[alignment - 1]).toBe(0x5a);
}

function checkUnmaskInto(unmasker: Unmasker, alignment: number, length: number, offset: number, targetOffset: number, keepsSource: boolean): void {
  const source = at(alignment, length, length + 3);
  const before = source.slice();
  const target = new Uint8Array(targetOffset + length + 5).fill(0xa5);
  unmasker.unmaskInto(source, target, targetOffset, PACKED, offset);
  const label = `alignment ${alignment} length ${length} offset ${offset} target ${targetOffset}`;
  expect(Buffer.compare(target.subarray(targetOffset, targetOffset + length), reference(before, offset)), label).toBe(0);
  if (keepsSource) expect(Buffer.compare(source, before), `${label}: source untouched`).toBe(0);
  expect(target.subarray(0, targetOffset).every((b) => b === 0xa5), `${label}: before target`).toBe(true);
  expect(target.subarray(targetOffset + length).every((b) => b === 0xa5), `${label}: after target`).toBe(true);
}

const SMALL_LENGTHS = Array.from({ length: 2 * WASM_MIN_BYTES + 70 }, (_, i) => i);
const BLOCK_LENGTHS = [BLOCK_BYTES - 1, BLOCK_BYTES, BLOCK_BYTES + 1, BLOCK_BYTES + 15, 2 * BLOCK_BYTES + 63, 65_536, 65_536 + 13, 200_003];

describe('createWasmUnmasker', () => {
  it('builds on this Node (WebAssembly SIMD) and is what the server injects into every parser', () => {
    expect(wasm).toBeDefined();
    expect(serverUnmasker()).not.toBe(jsUnmasker);
    expect(engineOptionsFor(1024, 10, false).unmasker).toBe(serverUnmasker());
  });

  it('returns undefined for a module that does not compile (the server then keeps the JS unmasker)', () => {
    expect(createWasmUnmasker(Uint8Array.of(0, 0x61, 0x73, 0x6d, 9, 9, 9, 9))).toBeUndefined();
  });

  it('packs the key little-endian with key[offset MOD 4] in the low byte', () => {
    expect(wasmKey(PACKED, 0) >>> 0).toBe(0xd47e019c);
    expect(wasmKey(PACKED, 1) >>> 0).toBe(0x9cd47e01);
    expect(wasmKey(PACKED, 2) >>> 0).toBe(0x019cd47e);
    expect(wasmKey(PACKED, 7) >>> 0).toBe(0x7e019cd4);
  });

  for (const [name, unmasker] of [['wasm', wasm], ['js', jsUnmasker]] as const) {
    it(`${name}: unmask equals the byte loop at every alignment, offset and length 0..${SMALL_LENGTHS.length - 1}`, () => {
      for (let alignment = 0; alignment < 8; alignment++) {
        for (const length of SMALL_LENGTHS) {
          for (let offset = 0; offset < 4; offset++) checkUnmask(unmasker, alignment, length, offset + 4 * (length & 1));
        }
      }
    });

    it(`${name}: unmask equals the byte loop across block edges and on large payloads`, () => {
      for (const length of BLOCK_LENGTHS) {
        for (let alignment = 0; alignment < 8; alignment += 3) checkUnmask(unmasker, alignment, length, alignment);
      }
    });

    it(`${name}: unmaskInto writes source XOR key into the target${name === 'wasm' ? ' in one pass, leaving the source alone' : ''}`, () => {
      for (let alignment = 0; alignment < 8; alignment++) {
        for (const length of [...SMALL_LENGTHS.filter((n) => n % 3 === 0 || n > WASM_MIN_BYTES - 3), ...BLOCK_LENGTHS.slice(0, 5)]) {
          checkUnmaskInto(unmasker, alignment, length, (alignment + length) & 3, (length * 5) % 11, name === 'wasm');
        }
      }
    });
  }
});

describe('the frame parser with the WebAssembly unmasker', () => {
  it('delivers masked binary and text payloads intact however the frame is chunked', () => {
    const binary = pattern(70_000, 9);
    const text = 'é€𝄞 tandem '.repeat(3000);
    const stream = concat([
      clientFrame(2, binary, { maskKey: [0x12, 0x34, 0x56, 0x78] }),
      clientFrame(1, text, { maskKey: [0xff, 0x00, 0x7f, 0x80] }),
      clientFrame(2, pattern(300, 1), { maskKey: [1, 2, 3, 4] }),
    ]);
    for (const size of [1, 7, 1000, 4096, 16_385, 65_536, stream.length]) {
      if (size === 1 && stream.length > 200_000) continue;
      const messages: Uint8Array[] = [];
      const errors: unknown[] = [];
      const parser = new FrameParser(
        { role: 'server', unmasker: wasm },
        { onMessage: (data) => messages.push(data.slice()), onControl: () => {}, onError: (err) => errors.push(err) },
      );
      const copy = stream.slice();
      for (let i = 0; i < copy.length; i += size) parser.push(copy.subarray(i, i + size));
      expect(errors, `chunks of ${size}`).toEqual([]);
      expect(messages.length).toBe(3);
      expect(Buffer.compare(messages[0]!, binary), `binary, chunks of ${size}`).toBe(0);
      expect(Buffer.from(messages[1]!).toString('utf8')).toBe(text);
      expect(Buffer.compare(messages[2]!, pattern(300, 1))).toBe(0);
    }
  });
});

describe('tools/build-wasm.mjs', () => {
  it('rebuilding unmask.wat gives exactly the checked-in module', async () => {
    const checkedIn = readFileSync(new URL('../../server/socket/wasm/unmask-wasm.ts', import.meta.url), 'utf8');
    expect(await expectedModuleText()).toBe(checkedIn);
  });
});

import { describe, expect, it } from 'vitest';
import { ByteQueue } from '../../../src/rfc6455/byte-queue.js';
import { applyMaskBytewise, jsUnmasker } from '../../../src/rfc6455/mask.js';
import { pattern } from '../../helpers/frames.js';

describe('ByteQueue', () => {
  it('returns a view when the bytes sit in one chunk', () => {
    const queue = new ByteQueue();
    const chunk = Uint8Array.of(1, 2, 3, 4, 5);
    queue.push(chunk);
    const view = queue.consume(3);
    expect(view.buffer).toBe(chunk.buffer);
    expect([...view]).toEqual([1, 2, 3]);
    expect(queue.length).toBe(2);
    expect([...queue.consume(2)]).toEqual([4, 5]);
    expect(queue.chunkCount).toBe(0);
  });

  it('copies only when bytes span chunks', () => {
    const queue = new ByteQueue();
    const a = Uint8Array.of(1, 2);
    queue.push(a);
    queue.push(new Uint8Array(0));
    queue.push(Uint8Array.of(3, 4));
    queue.push(Uint8Array.of(5));
    expect(queue.chunkCount).toBe(3);
    expect(queue.byteAt(0)).toBe(1);
    expect(queue.byteAt(4)).toBe(5);
    queue.skip(1);
    const spanning = queue.consume(3);
    expect(spanning.buffer).not.toBe(a.buffer);
    expect([...spanning]).toEqual([2, 3, 4]);
    const target = new Uint8Array(3);
    queue.readInto(target, 1, 1);
    expect([...target]).toEqual([0, 5, 0]);
    expect(queue.length).toBe(0);
  });

  it('keeps working across many pushes and partial reads', () => {
    const queue = new ByteQueue();
    let expected = 0;
    for (let i = 0; i < 1000; i++) {
      queue.push(Uint8Array.of(i & 0xff, (i + 1) & 0xff, (i + 2) & 0xff));
      const taken = queue.consume(i % 2 === 0 ? 2 : 4);
      for (const byte of taken) {
        expect(byte).toBe(sequenceByte(expected++));
      }
    }
    function sequenceByte(n: number): number {
      const i = Math.floor(n / 3);
      return (i + (n % 3)) & 0xff;
    }
    expect(queue.length).toBe(3000 - expected);
  });

  it('consumeUnmasked: a view unmasked in place in one chunk, else an unmasked copy', () => {
    const key = Uint8Array.of(0x37, 0xfa, 0x21, 0x3d);
    for (const length of [1, 5, 31, 32, 33, 100, 257]) {
      const masked = pattern(length + 3, length);
      const expected = masked.slice(3);
      applyMaskBytewise(expected, key, 0);
      for (let a = 1; a <= length + 3; a++) {
        for (const b of [a, Math.min(length + 3, a + 1), Math.min(length + 3, a + 40)]) {
          const source = masked.slice();
          const pieces = [source.subarray(0, a), source.subarray(a, b), source.subarray(b)];
          const queue = new ByteQueue();
          for (const piece of pieces) queue.push(piece);
          queue.skip(3);
          const out = queue.consumeUnmasked(length, jsUnmasker, 0x37fa213d);
          expect([...out], `length ${length} split ${a}/${b}`).toEqual([...expected]);
          expect(queue.length).toBe(0);
          const bounds = [[0, a], [a, b], [b, length + 3]];
          const inOneChunk = bounds.some(([start, end]) => start! <= 3 && end! >= length + 3);
          if (inOneChunk) {
            expect(out.buffer, `length ${length} split ${a}/${b}: a view`).toBe(source.buffer);
          } else {
            expect(out.buffer).not.toBe(source.buffer);
          }
        }
      }
    }
  });
});

/**
 * The parser's input buffer: a list of received chunks, never concatenated per byte. Reading bytes
 * that sit in one chunk returns a view of that chunk; only a read that spans chunks copies.
 */
import { allocateZeroed } from './constants.js';
import type { Allocate } from './constants.js';
import type { Unmasker } from './mask.js';

const EMPTY = new Uint8Array(0);

/** FIFO of byte chunks with view-first reads. */
export class ByteQueue {
  private chunks: Uint8Array[] = [];
  /** Index of the first chunk still holding unread bytes. */
  private head = 0;
  /** Bytes already read from `chunks[head]`. */
  private offset = 0;
  private bytes = 0;
  private readonly allocate: Allocate;

  /** `allocate`: where a read spanning chunks is copied (it overwrites every byte it gets). */
  constructor(allocate: Allocate = allocateZeroed) {
    this.allocate = allocate;
  }

  /** Unread bytes. */
  get length(): number {
    return this.bytes;
  }

  /** Chunks holding unread bytes (what the buffered-chunk bound is about). */
  get chunkCount(): number {
    return this.chunks.length - this.head;
  }

  /** Append a chunk (kept by reference: the caller hands it over). */
  push(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    this.chunks.push(chunk);
    this.bytes += chunk.length;
  }

  /** The unread byte at `index` (0 = next); `index` must be below `length`. */
  byteAt(index: number): number {
    let position = this.offset + index;
    for (let c = this.head; c < this.chunks.length; c++) {
      const chunk = this.chunks[c]!;
      if (position < chunk.length) return chunk[position]!;
      position -= chunk.length;
    }
    throw Object.assign(new RangeError('ByteQueue.byteAt past the end'), { code: 'ERR_OUT_OF_RANGE' });
  }

  /** The big-endian unsigned 32-bit number in the 4 unread bytes from `index` (`index + 4` ≤ `length`). */
  uint32At(index: number): number {
    return ((this.byteAt(index) << 24) | (this.byteAt(index + 1) << 16) | (this.byteAt(index + 2) << 8) | this.byteAt(index + 3)) >>> 0;
  }

  /**
   * A view of unread bytes starting `index` bytes in, up to `maxBytes` long but never past the end of
   * the chunk holding them (`index` < `length`). Lets a caller work on queued bytes in place.
   */
  pieceAt(index: number, maxBytes: number): Uint8Array {
    let position = this.offset + index;
    for (let c = this.head; c < this.chunks.length; c++) {
      const chunk = this.chunks[c]!;
      if (position < chunk.length) return chunk.subarray(position, Math.min(chunk.length, position + maxBytes));
      position -= chunk.length;
    }
    throw Object.assign(new RangeError('ByteQueue.pieceAt past the end'), { code: 'ERR_OUT_OF_RANGE' });
  }

  /** Drop the next `n` unread bytes (`n` ≤ `length`). */
  skip(n: number): void {
    this.bytes -= n;
    while (n > 0) {
      const chunk = this.chunks[this.head]!;
      const available = chunk.length - this.offset;
      if (n < available) {
        this.offset += n;
        return;
      }
      n -= available;
      this.dropHead();
    }
  }

  /** Remove and return the next `n` bytes (`n` ≤ `length`): a view when they sit in one chunk. */
  consume(n: number): Uint8Array {
    if (n === 0) return EMPTY;
    const chunk = this.chunks[this.head]!;
    const end = this.offset + n;
    if (end <= chunk.length) {
      const view = chunk.subarray(this.offset, end);
      this.bytes -= n;
      if (end === chunk.length) this.dropHead();
      else this.offset = end;
      return view;
    }
    const copy = this.allocate(n);
    this.readInto(copy, 0, n);
    return copy;
  }

  /**
   * {@link consume} of a masked payload (`n` ≤ `length`), unmasked with `packedKey` from payload
   * position 0: a view unmasked in place when the bytes sit in one chunk, else one pass that
   * unmasks while copying into the joined buffer (the consumed chunks' bytes are unspecified after).
   */
  consumeUnmasked(n: number, unmasker: Unmasker, packedKey: number): Uint8Array {
    if (n === 0) return EMPTY;
    const chunk = this.chunks[this.head]!;
    if (this.offset + n <= chunk.length) {
      const view = this.consume(n);
      unmasker.unmask(view, packedKey, 0);
      return view;
    }
    const target = this.allocate(n);
    this.bytes -= n;
    let filled = 0;
    while (filled < n) {
      const head = this.chunks[this.head]!;
      const take = Math.min(n - filled, head.length - this.offset);
      unmasker.unmaskInto(head.subarray(this.offset, this.offset + take), target, filled, packedKey, filled);
      filled += take;
      if (this.offset + take === head.length) this.dropHead();
      else this.offset += take;
    }
    return target;
  }

  /** Remove the next `n` bytes (`n` ≤ `length`), copying them into `target` at `targetOffset`. */
  readInto(target: Uint8Array, targetOffset: number, n: number): void {
    this.bytes -= n;
    while (n > 0) {
      const chunk = this.chunks[this.head]!;
      const take = Math.min(n, chunk.length - this.offset);
      target.set(chunk.subarray(this.offset, this.offset + take), targetOffset);
      targetOffset += take;
      n -= take;
      if (this.offset + take === chunk.length) this.dropHead();
      else this.offset += take;
    }
  }

  /** Forget everything (after an error or the end of the connection). */
  clear(): void {
    this.chunks = [];
    this.head = 0;
    this.offset = 0;
    this.bytes = 0;
  }

  private dropHead(): void {
    this.offset = 0;
    this.head++;
    if (this.head === this.chunks.length) {
      this.chunks.length = 0;
      this.head = 0;
    } else {
      // Release the consumed chunk now rather than when the array is next emptied.
      this.chunks[this.head - 1] = EMPTY;
      if (this.head >= 64) {
        this.chunks.splice(0, this.head);
        this.head = 0;
      }
    }
  }
}

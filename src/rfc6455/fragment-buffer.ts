/**
 * The fragments of one data message, joined once at the end. A few fragments are kept as views
 * (no copy until the join); past {@link MAX_FRAGMENT_VIEWS} the message switches to one buffer
 * growing geometrically, so a message of a million tiny fragments costs its bytes, not a million
 * array slots — and total copying stays linear.
 */
import { allocateZeroed } from './constants.js';
import type { Allocate } from './constants.js';

/** Fragments kept as views before switching to the growing buffer. */
const MAX_FRAGMENT_VIEWS = 64;
/** Smallest growing buffer. */
const MIN_JOINED_BYTES = 64 * 1024;

/** Accumulates one message's fragments. */
export class FragmentBuffer {
  private readonly maxBytes: number;
  private readonly allocate: Allocate;
  private views: Uint8Array[] = [];
  private joined: Uint8Array | null = null;
  private bytes = 0;

  /**
   * `maxBytes`: the message limit, which the parser has already checked; buffers never grow past it.
   * `allocate`: the joined buffers' source (only bytes written are ever read back).
   */
  constructor(maxBytes: number, allocate: Allocate = allocateZeroed) {
    this.maxBytes = maxBytes;
    this.allocate = allocate;
  }

  /** Bytes stored. */
  get length(): number {
    return this.bytes;
  }

  /** Add the next fragment (kept by reference while the message has few fragments). */
  append(fragment: Uint8Array): void {
    if (this.joined === null && this.views.length < MAX_FRAGMENT_VIEWS) {
      this.views.push(fragment);
      this.bytes += fragment.length;
      return;
    }
    if (this.joined === null) {
      const views = this.views;
      this.views = [];
      this.joined = this.allocate(this.capacityFor(this.bytes + fragment.length, this.bytes * 2));
      let offset = 0;
      for (const view of views) {
        this.joined.set(view, offset);
        offset += view.length;
      }
    }
    this.appendJoined(fragment);
  }

  /** The whole message, in a buffer of exactly its size unless the growing buffer is in use (then a view). */
  take(): Uint8Array {
    const joined = this.joined;
    const views = this.views;
    const bytes = this.bytes;
    this.clear();
    if (joined !== null) return joined.subarray(0, bytes);
    if (views.length === 1) return views[0]!;
    const data = this.allocate(bytes);
    let offset = 0;
    for (const view of views) {
      data.set(view, offset);
      offset += view.length;
    }
    return data;
  }

  /** Drop everything. */
  clear(): void {
    this.views = [];
    this.joined = null;
    this.bytes = 0;
  }

  private appendJoined(fragment: Uint8Array): void {
    let joined = this.joined!;
    const needed = this.bytes + fragment.length;
    if (needed > joined.length) {
      const grown = this.allocate(this.capacityFor(needed, joined.length * 2));
      grown.set(joined.subarray(0, this.bytes));
      this.joined = joined = grown;
    }
    joined.set(fragment, this.bytes);
    this.bytes = needed;
  }

  private capacityFor(needed: number, wanted: number): number {
    return Math.max(needed, Math.min(this.maxBytes, Math.max(wanted, MIN_JOINED_BYTES)));
  }
}

/**
 * The sender's half of session resume: every sequenced envelope sent (or to be sent) in a session,
 * kept until the peer acknowledges it, so a reconnect can re-send exactly what the peer missed
 * (docs/protocol.md §10). Bounded by count and bytes; going over a bound does not block sending
 * and never grows memory: the log is dropped and the session is marked as no longer resumable.
 */

/** Bounds of an {@link OutboundLog}. */
export interface OutboundLogLimits {
  /** Most entries kept unacknowledged. */
  readonly maxMessages: number;
  /** Most bytes (as counted by the caller) kept unacknowledged. */
  readonly maxBytes: number;
}

/** What {@link OutboundLog.replayAfter} found for the peer's last received `seq`. */
export type ReplayPlan<T> =
  | { readonly ok: true; readonly entries: readonly T[] }
  /**
   * `overflow`: the log was dropped (over its bounds); `behind`: the peer claims less than it
   * already acknowledged; `ahead`: the peer claims more than was ever sent.
   */
  | { readonly ok: false; readonly reason: 'overflow' | 'behind' | 'ahead' };

interface Entry<T> {
  readonly seq: number;
  readonly value: T;
  readonly bytes: number;
}

/**
 * Sequence numbers start at 1 and grow by one per {@link append}; `acknowledge(n)` forgets every
 * entry up to `n`. Entries are kept in a ring-free array with a moving head (amortised O(1)).
 */
export class OutboundLog<T> {
  readonly #limits: OutboundLogLimits;
  readonly #onRelease: ((value: T) => void) | undefined;
  #entries: Array<Entry<T> | undefined> = [];
  #head = 0;
  #bytes = 0;
  /** Last seq handed out (0: nothing sent yet). */
  #lastSeq = 0;
  /** Highest seq the peer acknowledged. */
  #acked = 0;
  #overflowed = false;

  /**
   * `onRelease` is told of every entry the log lets go of (acknowledged, cleared, overflowed), so
   * an owner that shares bytes between logs (the server's broadcasts) can count what is still held.
   */
  constructor(limits: OutboundLogLimits, onRelease?: (value: T) => void) {
    this.#limits = limits;
    this.#onRelease = onRelease;
  }

  /** The seq of the last appended entry (0 before the first). */
  get lastSeq(): number {
    return this.#lastSeq;
  }

  /** The highest seq the peer acknowledged. */
  get acknowledged(): number {
    return this.#acked;
  }

  /** Entries kept (sent or not, not yet acknowledged). */
  get size(): number {
    return this.#entries.length - this.#head;
  }

  /** Bytes kept. */
  get bytes(): number {
    return this.#bytes;
  }

  /** True once a bound was exceeded: the log is gone and the session cannot be resumed. */
  get overflowed(): boolean {
    return this.#overflowed;
  }

  /** The next seq {@link append} will assign. */
  nextSeq(): number {
    return this.#lastSeq + 1;
  }

  /**
   * Records `value` under the next seq and returns that seq. After an overflow the seq still
   * advances (the peer's duplicate check stays exact) but nothing is kept.
   */
  append(value: T, bytes: number): number {
    const seq = ++this.#lastSeq;
    if (this.#overflowed) return seq;
    this.#entries.push({ seq, value, bytes });
    this.#bytes += bytes;
    if (this.size > this.#limits.maxMessages || this.#bytes > this.#limits.maxBytes) this.overflow();
    return seq;
  }

  /**
   * The peer received everything up to `seq` (cumulative). Returns false when `seq` is beyond
   * what was sent (a peer's fault); an old or repeated acknowledgement is harmless.
   */
  acknowledge(seq: number): boolean {
    if (seq > this.#lastSeq) return false;
    if (seq <= this.#acked) return true;
    this.#acked = seq;
    while (this.#head < this.#entries.length) {
      const entry = this.#entries[this.#head]!;
      if (entry.seq > seq) break;
      this.#bytes -= entry.bytes;
      this.#entries[this.#head++] = undefined;
      this.#onRelease?.(entry.value);
    }
    // Compact once the dead prefix dominates, so a long session never keeps a growing array.
    if (this.#head > 64 && this.#head * 2 > this.#entries.length) {
      this.#entries = this.#entries.slice(this.#head);
      this.#head = 0;
    }
    return true;
  }

  /**
   * What to re-send to a peer that last received `seq`: every kept entry after it, in order.
   * Acknowledges `seq` first (the peer just said it has everything up to there).
   */
  replayAfter(seq: number): ReplayPlan<T> {
    if (this.#overflowed) return { ok: false, reason: 'overflow' };
    if (seq > this.#lastSeq) return { ok: false, reason: 'ahead' };
    if (seq < this.#acked) return { ok: false, reason: 'behind' };
    this.acknowledge(seq);
    const entries: T[] = [];
    for (let i = this.#head; i < this.#entries.length; i++) entries.push(this.#entries[i]!.value);
    return { ok: true, entries };
  }

  /**
   * Continue a log that another process kept (a session adopted from a shared store): the peer
   * has everything up to `seq`, and the next {@link append} is `seq + 1`. Only on an empty log.
   */
  startAfter(seq: number): void {
    if (this.#lastSeq !== 0 || this.size !== 0) throw new Error('startAfter on a log that was used');
    this.#lastSeq = seq;
    this.#acked = seq;
  }

  /** Forgets everything kept (the session ended). */
  clear(): void {
    const entries = this.#entries;
    const head = this.#head;
    this.#entries = [];
    this.#head = 0;
    this.#bytes = 0;
    if (this.#onRelease !== undefined) for (let i = head; i < entries.length; i++) this.#onRelease(entries[i]!.value);
  }

  /**
   * Drops the log for good: the session can no longer be resumed (a bound of this log was passed,
   * or the owner ran out of room for all its logs). Seqs keep advancing.
   */
  overflow(): void {
    this.#overflowed = true;
    this.clear();
  }
}

/**
 * The total bound on what every session's outbound log holds (`resume.maxTotalBufferedBytes`).
 * Each log is bounded on its own by count and bytes as it would be re-sent; this counts what the
 * logs really hold in memory: an entry's own bytes plus a fixed overhead, and a broadcast body
 * once however many logs refer to it. Past the bound the largest log is dropped (that session can
 * no longer be resumed: counted as an overflow), never memory growth.
 */
import type { LogEntry } from './log-entry.js';

/** What an entry costs beyond its bytes: the entry objects and the log's slot (V8, 64-bit). */
export const ENTRY_OVERHEAD_BYTES = 96;

/**
 * What a broadcast copy costs beyond the shared body: the entry overhead plus its own head
 * `Buffer` (a view object and its ~20 pooled bytes of frame header and `{"seq":N,`), measured
 * at ~230-250 B per logged broadcast by bench/resume-cost.mjs (docs/performance.md).
 */
export const SHARED_ENTRY_OVERHEAD_BYTES = ENTRY_OVERHEAD_BYTES + 112;

/** A log the budget can drop. */
export interface BudgetMember {
  /** Bytes the member's log holds as it would re-send them (what makes it "the largest"). */
  readonly loggedBytes: number;
  /** Drop the member's log for good (its entries are released back to the budget). */
  overflow(): void;
}

/** Memory held by all logs of one server, against one cap. */
export class LogBudget {
  readonly #max: number;
  readonly #members = new Set<BudgetMember>();
  #total = 0;

  constructor(maxBytes: number) {
    this.#max = maxBytes;
  }

  /** Bytes held now. */
  get total(): number {
    return this.#total;
  }

  /** Logs counted. */
  get members(): number {
    return this.#members.size;
  }

  /** Count `member`'s log. */
  add(member: BudgetMember): void {
    this.#members.add(member);
  }

  /** Stop counting `member` (its entries must have been released). */
  remove(member: BudgetMember): void {
    this.#members.delete(member);
  }

  /** A log keeps `entry`. */
  hold(entry: LogEntry): void {
    if (entry.kind === 'direct') this.#total += entry.bytes + ENTRY_OVERHEAD_BYTES;
    else {
      this.#total += SHARED_ENTRY_OVERHEAD_BYTES;
      if (entry.body.refs++ === 0) this.#total += entry.body.bytes;
    }
  }

  /** A log let go of `entry`. */
  release(entry: LogEntry): void {
    if (entry.kind === 'direct') this.#total -= entry.bytes + ENTRY_OVERHEAD_BYTES;
    else {
      this.#total -= SHARED_ENTRY_OVERHEAD_BYTES;
      if (--entry.body.refs === 0) this.#total -= entry.body.bytes;
    }
  }

  /** Over the cap? Drop the largest logs until under it (a scan, only when over). */
  enforce(): void {
    while (this.#total > this.#max) {
      let largest: BudgetMember | undefined;
      for (const member of this.#members) if (member.loggedBytes > (largest?.loggedBytes ?? 0)) largest = member;
      if (largest === undefined) return; // nothing left to drop: what remains is not held by logs
      largest.overflow();
    }
  }
}

/**
 * The server's end of one resumable session (docs/protocol.md §10): the shared SessionChannel
 * (seq numbering, duplicate check, acknowledgements) over a log of {@link LogEntry}s, counted
 * against the server-wide {@link LogBudget}. It outlives connections: the Peer that owns it writes
 * through it while attached, keeps logging while suspended, and replays from it on a resume.
 */
import type { SequencedEnvelope } from '../../../src/envelope.js';
import type { Scheduler } from '../../../src/scheduler.js';
import type { InboundVerdict } from '../../../src/session/inbound-sequence.js';
import type { ReplayPlan } from '../../../src/session/outbound-log.js';
import { SessionChannel } from '../../../src/session/session-channel.js';
import type { BudgetMember, LogBudget } from './log-budget.js';
import { entryBytes, sharedEntry } from './log-entry.js';
import type { DirectEntry, LogEntry, SharedBody, SharedEntry } from './log-entry.js';
import type { SessionPositions } from './session-store.js';

/** Options of a {@link ServerSession}. */
export interface ServerSessionOptions {
  readonly sid: string;
  /** Per-session bounds of the log. */
  readonly maxBuffered: number;
  readonly maxBufferedBytes: number;
  readonly scheduler: Scheduler;
  /** The server-wide bound all logs share. */
  readonly budget: LogBudget;
  /** Write a standalone `ack` envelope (the owner drops it while no connection carries the session). */
  readonly sendAck: (seq: number) => void;
  /** The log lost its resumability (its own bound, or the budget's). Called once per session. */
  readonly overflowed: () => void;
  /** Where a session adopted from another node stands (see SessionChannelOptions.start). */
  readonly start?: { readonly acknowledged: number; readonly received: number };
  /** The client acknowledged more, or another of its envelopes was delivered (a shared store persists it). */
  readonly moved?: () => void;
}

/** Seq numbering, logging and replay of one session at the server. */
export class ServerSession implements BudgetMember {
  readonly sid: string;
  readonly #channel: SessionChannel<LogEntry>;
  readonly #options: ServerSessionOptions;
  #overflowReported = false;
  readonly #stamp: { type: 'event'; seq: number; ack?: number | undefined } = { type: 'event', seq: 0, ack: undefined };

  constructor(options: ServerSessionOptions) {
    this.sid = options.sid;
    this.#options = options;
    const budget = options.budget;
    this.#channel = new SessionChannel<LogEntry>({
      sid: options.sid,
      limits: { maxMessages: options.maxBuffered, maxBytes: options.maxBufferedBytes },
      scheduler: options.scheduler,
      sendAck: options.sendAck,
      onRelease: (entry) => budget.release(entry),
      ...(options.start === undefined ? {} : { start: options.start }),
    });
    budget.add(this);
  }

  /** Bytes the log holds as it would re-send them. */
  get loggedBytes(): number {
    return this.#channel.log.bytes;
  }

  /** Entries the log holds. */
  get loggedEntries(): number {
    return this.#channel.log.size;
  }

  /** True once the log went over a bound: this session can no longer be resumed. */
  get overflowed(): boolean {
    return this.#channel.log.overflowed;
  }

  /** Where the session stands in both directions (for the store and the welcome). */
  get positions(): SessionPositions {
    const log = this.#channel.log;
    return { sent: log.lastSeq, acknowledged: log.acknowledged, received: this.#channel.received };
  }

  // ——— the receiving half, handed to the Conversation (SessionReceiver) ———

  /** The client acknowledged up to `seq`; false when that is more than was ever sent (1008). */
  acknowledged(seq: number): boolean {
    const before = this.#channel.log.acknowledged;
    const ok = this.#channel.acknowledged(seq);
    if (ok && seq > before) this.#options.moved?.();
    return ok;
  }

  /** Judges an incoming seq (duplicates dropped, gaps fatal); a delivered one is owed an ack. */
  accept(seq: number): InboundVerdict {
    const verdict = this.#channel.accept(seq);
    if (verdict === 'deliver') this.#options.moved?.();
    return verdict;
  }

  // ——— the sending half ———

  /** Numbers an envelope for this session alone (and lets it carry an owed ack). Then {@link logDirect} its encoding. */
  stamp(envelope: SequencedEnvelope): number {
    return this.#channel.stamp(envelope);
  }

  /** Keeps the encoding of the envelope just stamped. */
  logDirect(data: string | Uint8Array, bytes: number): void {
    this.#keep({ kind: 'direct', data, bytes });
  }

  /** Numbers this session's copy of a broadcast and keeps it; write the returned entry. */
  logShared(body: SharedBody): SharedEntry {
    // One reused stamp, not an envelope per delivery: stamp() only writes its seq and owed ack.
    const stamp = this.#stamp;
    stamp.ack = undefined;
    this.#channel.stamp(stamp as SequencedEnvelope);
    const entry = sharedEntry(body, stamp.seq, stamp.ack);
    this.#keep(entry);
    return entry;
  }

  /** What to re-send to a client that received up to `ack` (`overflow`, `ahead`, `behind` refuse the resume). */
  replayAfter(ack: number): ReplayPlan<LogEntry> {
    return this.#channel.replayAfter(ack);
  }

  /** Keeps an envelope another node logged (an adopted session's replay): its seq is the next one. */
  logRestored(data: string | Uint8Array): DirectEntry {
    const entry: DirectEntry = { kind: 'direct', data, bytes: typeof data === 'string' ? Buffer.byteLength(data) : data.byteLength };
    this.#keep(entry);
    return entry;
  }

  /** Drop the log for good (the budget's verdict, or the owner's). */
  overflow(): void {
    this.#channel.log.overflow();
    this.#reportOverflow();
  }

  /** No connection carries the session now: no standalone acks until one does. */
  suspend(): void {
    this.#channel.suspend();
  }

  /** The session ended: release its log and leave the budget. */
  end(): void {
    this.#channel.end();
    this.#options.budget.remove(this);
  }

  #keep(entry: LogEntry): void {
    const log = this.#channel.log;
    const budget = this.#options.budget;
    // An overflowed log keeps nothing (its seqs still advance): nothing to count.
    if (!log.overflowed) budget.hold(entry);
    this.#channel.record(entry, entry.bytes);
    if (log.overflowed) this.#reportOverflow();
    else budget.enforce();
  }

  #reportOverflow(): void {
    if (this.#overflowReported) return;
    this.#overflowReported = true;
    this.#options.overflowed();
  }
}

/**
 * Every resumable session of one server (docs/protocol.md §10): mints them, finds the one a hello
 * claims, keeps the suspended ones for their window, enforces the bounds, counts what happened,
 * and tells the session store what it would need elsewhere. It knows sessions only through
 * {@link SessionHolder} — the Peer — so the rules here are tested without sockets.
 */
import type { HelloEnvelope, ResumeFailure } from '../../../src/envelope.js';
import type { Scheduler } from '../../../src/scheduler.js';
import { LogBudget } from './log-budget.js';
import type { LogEntry } from './log-entry.js';
import type { ResumePolicy } from './resume-options.js';
import { SessionCounters } from './resume-stats.js';
import type { SessionStats } from './resume-stats.js';
import { ServerSession } from './server-session.js';
import { SessionIds } from './session-ids.js';
import type { AdoptedSession, SessionChange, SessionEndReason, SessionStore } from './session-store.js';
import { SuspendedSessions } from './suspended-sessions.js';

/** What the manager needs of whoever carries a session (the typed server's Peer). */
export interface SessionHolder {
  /** Who it authenticated as (compared with a resuming hello's identity). */
  readonly identity: unknown;
  /** Application state, saved to the store when the session suspends. */
  readonly data: unknown;
  readonly rooms: ReadonlySet<string>;
  /** Is a connection carrying the session now? */
  readonly attached: boolean;
  /**
   * The manager ends the session (its window passed, it overflowed while suspended, it was evicted
   * at the cap, or a resume gave up on it): the holder releases it and reports `'disconnect'`. The
   * manager has already forgotten it; the holder must not call {@link SessionManager.end}.
   */
  endSession(reason: SessionEndReason): void;
  /** A shared store has the session's envelopes up to `seq` (they may go to the socket now). */
  persisted?(seq: number): void;
}

/** The outcome of a hello that names a session held here. */
export type LocalClaim<H> =
  /** Resume `session` of `holder`: welcome with `resumed: true`, then re-send `replay` before anything new. */
  | { readonly kind: 'resume'; readonly holder: H; readonly session: ServerSession; readonly replay: readonly LogEntry[] }
  /** Refuse with `reason` (the claimant gets a new session). */
  | { readonly kind: 'refuse'; readonly reason: ResumeFailure };

/** The outcome of a hello that names a session this node does not hold. */
export type ForeignClaim =
  /** Another node held it and this one took it over: resume it from the store. */
  | { readonly kind: 'adopt'; readonly adopted: AdoptedSession; readonly ack: number }
  /** Refuse with `reason` (the claimant gets a new session). */
  | { readonly kind: 'refuse'; readonly reason: ResumeFailure };

/** Options of a {@link SessionManager}. */
export interface SessionManagerOptions {
  readonly policy: ResumePolicy;
  readonly scheduler: Scheduler;
  /** A rejected store write (never thrown: the server's `'error'`). */
  readonly report: (error: unknown) => void;
  /** Mints sids (injectable for tests). @default new SessionIds() */
  readonly ids?: SessionIds;
}

interface Live<H> {
  readonly holder: H;
  readonly session: ServerSession;
}

/** The server's sessions. `H` is what carries one (the Peer's side of it). */
export class SessionManager<H extends SessionHolder> {
  readonly #options: SessionManagerOptions;
  readonly #ids: SessionIds;
  readonly #store: SessionStore;
  readonly #budget: LogBudget;
  readonly #suspended: SuspendedSessions<Live<H>>;
  readonly #counters = new SessionCounters();
  /** Every live session (attached or suspended) by sid. */
  readonly #live = new Map<string, Live<H>>();

  constructor(options: SessionManagerOptions) {
    const { policy, scheduler } = options;
    this.#options = options;
    this.#ids = options.ids ?? new SessionIds();
    this.#budget = new LogBudget(policy.maxTotalBufferedBytes);
    this.#store = policy.store({
      scheduler,
      window: policy.window,
      maxEnded: Math.max(policy.maxSuspended, 1_000),
      maxBuffered: policy.maxBuffered,
      persisted: (sid, seq) => this.#live.get(sid)?.holder.persisted?.(seq),
      // Another node took the session over: this node's copy is over (its writes are fenced off).
      moved: (sid) => {
        const live = this.#live.get(sid);
        if (live !== undefined) this.#finish(live, 'closed');
      },
    });
    this.#suspended = new SuspendedSessions({
      scheduler,
      window: policy.window,
      maxSuspended: policy.maxSuspended,
      end: (live, reason) => {
        if (reason === 'expired') this.#counters.expired += 1;
        else this.#counters.overflowed += 1; // evicted at the cap (its log did not overflow)
        this.#finish(live, reason);
      },
    });
  }

  /** This run's sid tag (sids of other runs resume as `restart`). */
  get epoch(): string {
    return this.#ids.epoch;
  }

  /** Live sessions (attached or suspended). */
  get size(): number {
    return this.#live.size;
  }

  /** Who holds the live session `sid`, if it is held here. */
  get(sid: string): H | undefined {
    return this.#live.get(sid)?.holder;
  }

  /** Sessions suspended now. */
  get suspendedCount(): number {
    return this.#suspended.size;
  }

  /** A new session with a fresh sid; `sendAck` writes a standalone ack while attached. */
  create(sendAck: (seq: number) => void): ServerSession {
    return this.#session(this.#ids.mint(), sendAck, undefined);
  }

  /**
   * The session of an adoption ({@link claimForeign}): it continues after the hello's `ack`, its
   * log holds the envelopes the old node logged after it, re-sent by the caller.
   */
  restore(claim: Extract<ForeignClaim, { kind: 'adopt' }>, sendAck: (seq: number) => void): { session: ServerSession; replay: LogEntry[] } {
    const { record, replay } = claim.adopted;
    const session = this.#session(record.sid, sendAck, { acknowledged: claim.ack, received: record.positions.received });
    return { session, replay: replay.map((data) => session.logRestored(data)) };
  }

  /** A durable store keeps every numbered envelope (with its seq) for another node's sake. */
  logged(session: ServerSession, seq: number, data: () => string | Uint8Array, broadcastId: string | undefined): void {
    const append = this.#store.append;
    if (append !== undefined && this.#live.get(session.sid)?.session === session) this.#write(() => append.call(this.#store, session.sid, seq, data, broadcastId));
  }

  /** Does the store keep sessions for other nodes (then every envelope is {@link logged})? */
  get shared(): boolean {
    return this.#store.append !== undefined;
  }

  #session(sid: string, sendAck: (seq: number) => void, start: { acknowledged: number; received: number } | undefined): ServerSession {
    return new ServerSession({
      sid,
      ...(start === undefined ? {} : { start }),
      ...(this.#store.append === undefined ? {} : { moved: () => this.#moved(sid) }),
      maxBuffered: this.#options.policy.maxBuffered,
      maxBufferedBytes: this.#options.policy.maxBufferedBytes,
      scheduler: this.#options.scheduler,
      budget: this.#budget,
      sendAck,
      overflowed: () => this.#overflowed(sid),
    });
  }

  /** `holder` carries `session` ({@link create} or {@link restore} made it): it is live from now on. */
  adopt(session: ServerSession, holder: H, peerId?: string): void {
    this.#live.set(session.sid, { holder, session });
    this.#write(() =>
      this.#store.create({
        ...(peerId === undefined ? {} : { peerId }),
        sid: session.sid,
        identity: holder.identity,
        data: holder.data,
        rooms: [...holder.rooms],
        positions: session.positions,
        state: 'attached',
        suspendedAt: undefined,
      }),
    );
  }

  /**
   * The hello names `sid` held here: resume it, or say why not. Synchronous on purpose: the plan
   * must be carried out in the same tick, before the session logs anything more.
   */
  claim(hello: HelloEnvelope, identity: unknown): LocalClaim<H> | undefined {
    const live = hello.sid === undefined ? undefined : this.#live.get(hello.sid);
    if (live === undefined) return undefined;
    const { holder, session } = live;
    // docs/protocol.md §10.3: a stolen sid alone resumes nothing, and the owner's session is untouched.
    if (!this.#options.policy.sameIdentity(holder.identity, identity)) return this.#refuse('identity');
    const plan = session.replayAfter(hello.ack ?? 0);
    if (plan.ok) {
      this.#counters.resumed += 1;
      return { kind: 'resume', holder, session, replay: plan.entries };
    }
    const reason = plan.reason === 'overflow' ? 'overflow' : 'invalid';
    // The client starts afresh: a suspended session of it is over. A connection still carrying
    // it is left alone (a refused hello never disturbs a live connection).
    if (!holder.attached) this.#finish(live, reason === 'overflow' ? 'overflow' : 'closed');
    return this.#refuse(reason);
  }

  /** Why `sid` (not held here) cannot be resumed: asks the store, then the sid's own tag. */
  async explain(sid: string): Promise<ResumeFailure> {
    const origin = this.#ids.classify(sid);
    // Garbage costs no store round trip.
    if (origin === 'malformed') return this.#refuse('unknown').reason;
    return this.#refuse(this.#explained(sid, await this.#store.get(sid))).reason;
  }

  #explained(sid: string, lookup: Awaited<ReturnType<SessionStore['get']>>): ResumeFailure {
    // A record of another node's session with a store that cannot adopt it: `unknown`. A sid of
    // another run that no store knows: that run (or the shared store's data) is gone: `restart`.
    if (lookup.kind === 'ended') return lookup.reason;
    return this.#ids.classify(sid) === 'earlier' && lookup.kind === 'missing' ? 'restart' : 'unknown';
  }

  /** A durable store hears of the session's positions (and current data) as they move. */
  #moved(sid: string): void {
    const live = this.#live.get(sid);
    if (live !== undefined) this.#write(() => this.#store.update(sid, { positions: live.session.positions, data: live.holder.data }));
  }

  /**
   * The hello names `sid`, not held here: another node's session to take over (a shared store),
   * or why not (the reason {@link explain} gives). Identity is checked before the take-over, so a
   * stolen sid disturbs nothing.
   */
  async claimForeign(hello: HelloEnvelope, identity: unknown): Promise<ForeignClaim> {
    const sid = hello.sid!;
    const adopt = this.#store.adopt;
    if (adopt === undefined || this.#ids.classify(sid) === 'malformed') return { kind: 'refuse', reason: await this.explain(sid) };
    const lookup = await this.#store.get(sid);
    if (lookup.kind !== 'found') return this.#refuse(this.#explained(sid, lookup));
    if (!this.#options.policy.sameIdentity(lookup.record.identity, identity)) return this.#refuse('identity');
    const ack = hello.ack ?? 0;
    const adoption = await adopt.call(this.#store, sid, ack);
    if (adoption.kind === 'refused') return this.#refuse(adoption.reason);
    this.#counters.resumed += 1;
    return { kind: 'adopt', adopted: adoption.session, ack };
  }

  /** The connection carrying `session` dropped: its window starts. */
  suspend(session: ServerSession): void {
    const live = this.#live.get(session.sid);
    if (live?.session !== session) return;
    session.suspend();
    // An overflowed session has nothing to resume: it ends now instead of waiting.
    if (session.overflowed) return this.#finish(live, 'overflow');
    this.#suspended.suspend(session.sid, live);
    if (!this.#live.has(session.sid)) return; // evicted at once (maxSuspended 0)
    const { holder } = live;
    this.update(session, { state: 'suspended', suspendedAt: this.#options.scheduler.now(), data: holder.data, positions: session.positions });
  }

  /** `session` was resumed on a new connection (after {@link claim}). */
  resumed(session: ServerSession): void {
    const live = this.#live.get(session.sid);
    if (live?.session !== session) return;
    this.#suspended.take(session.sid);
    this.update(session, { state: 'attached', suspendedAt: undefined, identity: live.holder.identity });
  }

  /** Part of `session`'s record changed (rooms, data…). */
  update(session: ServerSession, change: SessionChange): void {
    const sid = session.sid;
    if (this.#live.get(sid)?.session === session) this.#write(() => this.#store.update(sid, change));
  }

  /** The holder ended `session` itself (closed on purpose). Idempotent. */
  end(session: ServerSession, reason: SessionEndReason): void {
    const live = this.#live.get(session.sid);
    if (live?.session === session) this.#forget(live, reason);
  }

  /** Counters and gauges for `server.stats()`. */
  stats(): SessionStats {
    return this.#counters.snapshot(this.#live.size, this.#suspended.size, this.#budget.total);
  }

  /** Shutdown: every session ends as `closed` (the holders report it), the store is closed. */
  async close(): Promise<void> {
    this.#suspended.clear();
    for (const live of [...this.#live.values()]) this.#finish(live, 'closed');
    await this.#store.close();
  }

  #overflowed(sid: string): void {
    this.#counters.overflowed += 1;
    const live = this.#live.get(sid);
    // A suspended session over its bound ends at once (docs/protocol.md §10.4); an attached one
    // keeps its connection and only loses the ability to resume.
    if (live !== undefined && !live.holder.attached) this.#finish(live, 'overflow');
  }

  /** The manager ends a session: forget it, then let the holder report it. */
  #finish(live: Live<H>, reason: SessionEndReason): void {
    if (this.#live.get(live.session.sid) !== live) return;
    this.#forget(live, reason);
    live.holder.endSession(reason);
  }

  #forget(live: Live<H>, reason: SessionEndReason): void {
    const session = live.session;
    this.#suspended.take(session.sid);
    this.#live.delete(session.sid);
    session.end();
    this.#write(() => this.#store.end(session.sid, reason));
  }

  #refuse(reason: ResumeFailure): { kind: 'refuse'; reason: ResumeFailure } {
    this.#counters.refusedWith(reason);
    return { kind: 'refuse', reason };
  }

  /** Store writes never throw into the server and never block it: a failure is reported. */
  #write(write: () => void | Promise<void>): void {
    try {
      const pending = write();
      if (pending !== undefined) pending.catch((err: unknown) => this.#options.report(err));
    } catch (err) {
      this.#options.report(err);
    }
  }
}

/**
 * Where sessions are kept beyond the process that holds their connection: the seam for running
 * several nodes (docs/typed-server.md "Session store"). The server holds its own sessions in
 * memory (the live Peer objects and their logs) and tells the store what it would need to resume
 * one elsewhere, **when it changes** — identity, rooms, data, positions — and why a session
 * ended, so that a late resume attempt is told the real reason. The memory store (default) keeps
 * only the latter; a Redis store (issue 11) keeps both, so a client can resume on any node.
 *
 * Writes may be asynchronous (a round trip to a broker): the server never waits for them on its
 * hot path and reports a rejected write through `'error'`. Reads are always awaited.
 */
import type { Scheduler } from '../../../src/scheduler.js';

/**
 * Why a session ended: what a late resume attempt is told (a `ResumeFailure`), or `left` — the
 * client closed on purpose (1000/1001) and will not come back, so there is nothing to remember.
 */
export type SessionEndReason = 'expired' | 'overflow' | 'closed' | 'left';

/** A session's place in both directions of its conversation (docs/protocol.md §10.2). */
export interface SessionPositions {
  /** The last seq the server assigned to an envelope it sent. */
  readonly sent: number;
  /** The highest server seq the client acknowledged. */
  readonly acknowledged: number;
  /** The highest client seq the server delivered (what its welcome `ack` would say). */
  readonly received: number;
}

/** Everything about a session that must outlive its node (its outbound log aside). */
export interface SessionRecord {
  readonly sid: string;
  /** What `authenticate`/`authenticateHello` resolved to: a resume must authenticate as the same. */
  readonly identity: unknown;
  /** `peer.data` as of the last write (saved when the session suspends). */
  readonly data: unknown;
  /** The rooms the session is in. */
  readonly rooms: readonly string[];
  readonly positions: SessionPositions;
  /** `attached` while a connection carries it; `suspended` between a drop and a resume. */
  readonly state: 'attached' | 'suspended';
  /** When it was suspended (server clock, ms); with the window, when it expires. */
  readonly suspendedAt: number | undefined;
}

/** The fields of a {@link SessionRecord} that changed. */
export type SessionChange = Partial<Omit<SessionRecord, 'sid'>>;

/** What a store knows of a sid. */
export type SessionLookup =
  /** The session lives (held by another node: a store shared between nodes returns these). */
  | { readonly kind: 'found'; readonly record: SessionRecord }
  /** The session ended, recently enough to say why. */
  | { readonly kind: 'ended'; readonly reason: Exclude<SessionEndReason, 'left'> }
  /** Never heard of it, or forgotten. */
  | { readonly kind: 'missing' };

/** A session store. Every write may be sync (`void`) or async (a promise the server does not await). */
export interface SessionStore {
  /** A resumable session began (after its welcome was decided). */
  create(record: SessionRecord): void | Promise<void>;
  /** Some of a live session's fields changed (rooms on join/leave, identity on resume, data and positions on suspend…). */
  update(sid: string, change: SessionChange): void | Promise<void>;
  /**
   * The session ended (window passed, log overflow, closed on purpose). Forget its record and
   * remember `reason` for at least the window, so a late resume hears why instead of `unknown`
   * (`left`: nothing to remember).
   */
  end(sid: string, reason: SessionEndReason): void | Promise<void>;
  /** What the store knows of `sid` (a sid this node does not hold). */
  get(sid: string): Promise<SessionLookup>;
  /** Release timers and connections (server shutdown). */
  close(): Promise<void>;
}

/** What the server gives a store when it creates it. */
export interface SessionStoreContext {
  readonly scheduler: Scheduler;
  /** The resume window, in ms: the least time an ended session's reason is remembered. */
  readonly window: number;
  /** Most ended sessions worth remembering at once (the store may keep fewer, never unbounded). */
  readonly maxEnded: number;
}

/** Builds a store for one server: `createServer({ resume: { store } })`. */
export type SessionStoreFactory = (context: SessionStoreContext) => SessionStore;

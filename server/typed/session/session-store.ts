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
import type { ResumeFailure } from '../../../src/envelope.js';
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
  /** The peer id it had on the node that wrote the record (broadcasts `except` it). */
  readonly peerId?: string;
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

/** A broadcast an adopted session missed while no node held it (its id de-duplicates). */
export interface CaughtUpBroadcast {
  readonly id: string;
  /** The encoded envelope, as a broadcast message (the same shape as the adapter's). */
  readonly message: { readonly data: string | Uint8Array; readonly volatile: boolean };
}

/** A session another node held, taken over by this one (a store shared between nodes). */
export interface AdoptedSession {
  readonly record: SessionRecord;
  /** The envelopes logged after the hello's `ack`, in seq order, encoded (their seq inside). */
  readonly replay: ReadonlyArray<string | Uint8Array>;
  /** Broadcasts to its rooms the old node never logged for it: delivered next, as new envelopes. */
  readonly catchUp: readonly CaughtUpBroadcast[];
  /** Ids of the broadcasts the session already has (live deliveries of these are dropped). */
  readonly seen: ReadonlySet<string>;
  /** Reads what its rooms got since `catchUp` was read: call once its rooms are joined here. */
  topUp(): Promise<readonly CaughtUpBroadcast[]>;
}

/** The outcome of {@link SessionStore.adopt}. */
export type Adoption = { readonly kind: 'adopted'; readonly session: AdoptedSession } | { readonly kind: 'refused'; readonly reason: ResumeFailure };

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
  /**
   * A store shared between nodes keeps every numbered envelope a session sends, with its seq
   * (`data` encodes it, called at most once), so that another node can re-send it, and calls
   * the context's `persisted` once it has it.
   * `broadcastId`: the cluster-wide id of the broadcast it carries, if it is one.
   */
  append?(sid: string, seq: number, data: () => string | Uint8Array, broadcastId: string | undefined): void;
  /**
   * Take over `sid` (found by {@link get}, its identity checked) for this node: the store fences
   * the old node off, and returns what to re-send after `ack` and what the session missed.
   */
  adopt?(sid: string, ack: number): Promise<Adoption>;
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
  /** Most envelopes one session keeps (`resume.maxBuffered`): an adoption that needs more is refused. */
  readonly maxBuffered?: number;
  /**
   * A shared store wrote `sid`'s envelopes up to `seq` (or gave up on them: a failure, reported):
   * the server writes an envelope to its client only after this (write-ahead).
   */
  readonly persisted?: (sid: string, seq: number) => void;
  /** Another node took `sid` over: the server ends its own copy (a shared store calls this). */
  readonly moved?: (sid: string) => void;
}

/** Builds a store for one server: `createServer({ resume: { store } })`. */
export type SessionStoreFactory = (context: SessionStoreContext) => SessionStore;

/**
 * The session store on Redis: what a node needs to resume another node's session, written when it
 * changes — never only at disconnect, so `kill -9` of a node loses nothing it had written
 * (docs/cluster.md "Resume across nodes").
 *
 * Per session: a record (HASH: identity, data, rooms, positions, owner node, per-room log
 * positions) and a log (STREAM: every numbered envelope it sent, entry id `<seq>-0`, trimmed as the
 * client acknowledges). Changes and envelopes of one tick are written together, one script call
 * per session per tick, on the adapter's commands connection: the envelope reaches Redis in the
 * same tick it reaches the socket. Every key expires `window` ms after the last write; a sweep
 * re-writes this node's sessions every `window / 3`, so a live session never expires and a dead
 * node's sessions do, a window after it died.
 */
import { RESP_TYPES } from 'redis';
import type { AnyRedisClient } from './options.js';
import type { RedisKeys } from './keys.js';
import { RedisAdapterError, RedisErrorCodes } from './errors.js';
import { runScript } from './scripts.js';
import { SESSION_END, SESSION_WRITE } from './session-scripts.js';
import { adoptSession, parseRecord } from './session-adoption.js';
import type { Adoption, SessionChange, SessionEndReason, SessionLookup, SessionRecord, SessionStore, SessionStoreContext } from '../typed/session/session-store.js';

/** Acknowledged envelopes kept in a session's log: the ids of recent broadcasts de-duplicate a catch-up. */
export const ACKED_KEPT = 64;

/** How long envelopes wait for Redis before they go to the client anyway, in ms. */
const WRITE_TIMEOUT = 1_000;

/** What the store needs of the adapter. */
export interface RedisSessionStoreOptions {
  readonly client: AnyRedisClient;
  readonly keys: RedisKeys;
  readonly nodeId: string;
  /** The last log position of `room` this node handled (see RedisAdapter). */
  roomPosition(room: string): { readonly epoch: string; readonly offset: string } | undefined;
  /** Resolves once this node's broadcasts published so far are in Redis (or failed). */
  published(): Promise<void>;
  report(error: RedisAdapterError): void;
}

/** One session this node owns, and what is waiting to be written. */
interface Owned {
  /** The full record as JSON fields (written again in full if Redis lost it). */
  readonly snapshot: Record<string, string>;
  rooms: readonly string[];
  /** Fields changed since the last write. */
  fields: Record<string, string>;
  /** seq, data, broadcast id, binary flag — 4 per envelope. */
  entries: Array<string | Buffer>;
  create: boolean;
  roomsChanged: boolean;
  trim: number;
}

/** {@link SessionStore} on Redis; the Redis adapter builds it (`adapter.sessionStore`). */
export class RedisSessionStore implements SessionStore {
  /** Session writes that failed (each one makes that session unresumable elsewhere). */
  writeFailures = 0;
  readonly #context: SessionStoreContext;
  readonly #o: RedisSessionStoreOptions;
  readonly #owned = new Map<string, Owned>();
  readonly #dirty = new Set<string>();
  readonly #sweep: ReturnType<typeof setInterval>;
  /** The commands connection with Buffer replies, for reading logs. */
  readonly #binary: AnyRedisClient;
  #scheduled = false;
  /** A failure was reported and no write succeeded since: one report per outage. */
  #failing = false;
  #closed = false;

  constructor(context: SessionStoreContext, options: RedisSessionStoreOptions) {
    this.#context = context;
    this.#o = options;
    this.#binary = options.client.withTypeMapping({ [RESP_TYPES.BLOB_STRING]: Buffer }) as unknown as AnyRedisClient;
    this.#sweep = setInterval(() => this.#refresh(), Math.max(1, Math.floor(context.window / 3)));
    this.#sweep.unref();
  }

  /** Sessions this node owns in Redis. */
  get size(): number {
    return this.#owned.size;
  }

  create(record: SessionRecord): void {
    const snapshot: Record<string, string> = {};
    const owned: Owned = { snapshot, rooms: record.rooms, fields: {}, entries: [], create: true, roomsChanged: true, trim: 0 };
    this.#owned.set(record.sid, owned);
    this.#apply(owned, { ...record });
    if (record.peerId !== undefined) this.#set(owned, 'peerId', record.peerId);
    this.#mark(record.sid);
  }

  update(sid: string, change: SessionChange): void {
    const owned = this.#owned.get(sid);
    if (owned === undefined) return;
    this.#apply(owned, change);
    this.#mark(sid);
  }

  append(sid: string, seq: number, data: () => string | Uint8Array, broadcastId: string | undefined): void {
    const owned = this.#owned.get(sid);
    if (owned === undefined) return this.#context.persisted?.(sid, seq);
    const encoded = data();
    const binary = typeof encoded !== 'string';
    owned.entries.push(String(seq), binary ? Buffer.from(encoded.buffer, encoded.byteOffset, encoded.byteLength) : encoded, broadcastId ?? '', binary ? '1' : '0');
    this.#mark(sid);
  }

  async end(sid: string, reason: SessionEndReason): Promise<void> {
    this.#owned.delete(sid);
    this.#dirty.delete(sid);
    const { keys, client, nodeId } = this.#o;
    try {
      await runScript(client, SESSION_END, [keys.session(sid), keys.sessionLog(sid), keys.sessionEnded(sid)], [nodeId, reason, String(this.#context.window)]);
    } catch (err) {
      this.#failed(err);
    }
  }

  async get(sid: string): Promise<SessionLookup> {
    const { keys, client } = this.#o;
    const fields = (await client.hGetAll(keys.session(sid))) as Record<string, string>;
    if (Object.keys(fields).length > 0) return { kind: 'found', record: parseRecord(sid, fields) };
    const ended = (await client.get(keys.sessionEnded(sid))) as string | null;
    if (ended === 'expired' || ended === 'overflow' || ended === 'closed') return { kind: 'ended', reason: ended };
    return { kind: 'missing' };
  }

  adopt(sid: string, ack: number): Promise<Adoption> {
    const { client, keys, nodeId } = this.#o;
    return adoptSession({ client, binary: this.#binary, keys, nodeId, published: this.#o.published, ttl: this.#context.window, maxEntries: this.#context.maxBuffered ?? 10_000 }, sid, ack);
  }

  async close(): Promise<void> {
    clearInterval(this.#sweep);
    await this.#flush();
    this.#closed = true;
    this.#owned.clear();
  }

  // ——— writing ———

  #apply(owned: Owned, change: SessionChange): void {
    if ('identity' in change) this.#set(owned, 'identity', json(change.identity));
    if ('data' in change) this.#set(owned, 'data', json(change.data));
    if (change.rooms !== undefined) {
      owned.rooms = change.rooms;
      owned.roomsChanged = true;
      this.#set(owned, 'rooms', JSON.stringify(change.rooms));
    }
    if (change.state !== undefined) this.#set(owned, 'state', change.state);
    if ('suspendedAt' in change) this.#set(owned, 'suspendedAt', String(change.suspendedAt ?? ''));
    const positions = change.positions;
    if (positions !== undefined) {
      this.#set(owned, 'received', String(positions.received));
      this.#set(owned, 'acknowledged', String(positions.acknowledged));
      owned.trim = Math.max(owned.trim, positions.acknowledged - ACKED_KEPT + 1);
    }
  }

  /** A field changed: written at the next flush, unless it already holds that value. */
  #set(owned: Owned, field: string, value: string): void {
    if (owned.snapshot[field] === value && !owned.create) return;
    owned.snapshot[field] = value;
    owned.fields[field] = value;
  }

  #mark(sid: string): void {
    if (this.#closed) return;
    this.#dirty.add(sid);
    if (this.#scheduled) return;
    this.#scheduled = true;
    // Same tick as the socket writes (setImmediate runs before the next I/O poll).
    setImmediate(() => void this.#flush());
  }

  /** Every session this node owns is written again: its keys' TTLs restart, its room positions move on. */
  #refresh(): void {
    for (const sid of this.#owned.keys()) this.#mark(sid);
  }

  async #flush(): Promise<void> {
    this.#scheduled = false;
    const sids = [...this.#dirty];
    this.#dirty.clear();
    await Promise.all(sids.map((sid) => this.#write(sid)));
  }

  async #write(sid: string): Promise<void> {
    const owned = this.#owned.get(sid);
    if (owned === undefined) return;
    const { keys, client, nodeId, roomPosition } = this.#o;
    const rooms = owned.rooms.map((room) => {
      const position = roomPosition(room);
      return [room, position?.epoch ?? '', position?.offset ?? ''];
    });
    const control = {
      ttl: this.#context.window,
      maxlen: (this.#context.maxBuffered ?? 10_000) + ACKED_KEPT,
      create: owned.create,
      fields: owned.create ? owned.snapshot : owned.fields,
      trim: owned.trim,
      prune: owned.roomsChanged,
      keep: Object.fromEntries(owned.rooms.map((room) => [room, true])),
      rooms,
      prefix: keys.prefix,
    };
    const entries = owned.entries;
    const last = entries.length === 0 ? 0 : Number(entries[entries.length - 4]);
    owned.fields = {};
    owned.entries = [];
    owned.create = false;
    owned.roomsChanged = false;
    let result: unknown;
    // Write-ahead: the envelopes go to the client once Redis has them — or once it failed, or
    // did not answer within WRITE_TIMEOUT (a stalled Redis must not stall delivery).
    const release = last === 0 ? undefined : once(() => this.#context.persisted?.(sid, last));
    const timer = release === undefined ? undefined : setTimeout(release, WRITE_TIMEOUT);
    try {
      result = await runScript(client, SESSION_WRITE, [keys.session(sid), keys.sessionLog(sid)], [nodeId, JSON.stringify(control), ...entries]);
    } catch (err) {
      clearTimeout(timer);
      release?.();
      return this.#failed(err);
    }
    clearTimeout(timer);
    this.#failing = false;
    // Another node owns the session now: nothing of this write reaches the client from here.
    if (result === 0) return this.#moved(sid);
    release?.();
    if (result === -1 && this.#owned.get(sid) === owned) {
      // Redis lost the record (a restart without persistence): written again in full, marked so
      // that no other node resumes it from a log that lost its beginning.
      owned.create = true;
      owned.roomsChanged = true;
      owned.snapshot.lost = '1';
      this.#mark(sid);
    }
  }

  #moved(sid: string): void {
    if (!this.#owned.delete(sid)) return;
    this.#context.moved?.(sid);
  }

  #failed(err: unknown): void {
    this.writeFailures += 1;
    if (this.#failing) return;
    this.#failing = true;
    const detail = err instanceof Error ? err.message : String(err);
    this.#o.report(new RedisAdapterError(RedisErrorCodes.SessionWriteFailed, `writing a session to Redis failed (it resumes on this node only): ${detail}`, { cause: err }));
  }
}

function once(run: () => void): () => void {
  let done = false;
  return () => {
    if (done) return;
    done = true;
    run();
  };
}

/** `value` as JSON, or `null` for what JSON cannot hold (a cycle, a BigInt): never throws. */
function json(value: unknown): string {
  try {
    return JSON.stringify({ v: value });
  } catch {
    return '{"v":null}';
  }
}

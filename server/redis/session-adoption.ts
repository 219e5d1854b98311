/**
 * Taking a session over from the node that held it (docs/cluster.md "Resume across nodes"): fence
 * the old node off, read the session's log after the client's ack (what to re-send, with the seqs
 * it had), then the logs of its rooms after the positions its old node reached (what it missed
 * while no node held it). Everything is read in bounded pages; anything that shows lost history
 * refuses the resume with a reason instead of resuming with a gap.
 */
import { PreparedMessage } from '../typed/prepared-message.js';
import type { Adoption, CaughtUpBroadcast, SessionRecord } from '../typed/session/session-store.js';
import type { ResumeFailure } from '../../src/envelope.js';
import { decodeClusterMessage, MessageKinds } from './cluster-message.js';
import type { RedisKeys } from './keys.js';
import type { AnyRedisClient } from './options.js';
import { runScript } from './scripts.js';
import { SESSION_TAKE } from './session-scripts.js';

/** Entries read per XRANGE. */
const PAGE = 256;

/** What an adoption needs. */
export interface AdoptionContext {
  readonly client: AnyRedisClient;
  /** The same connection, replies as Buffers (logs hold binary envelopes and cluster messages). */
  readonly binary: AnyRedisClient;
  readonly keys: RedisKeys;
  readonly nodeId: string;
  /** The window, in ms: the TTL the taken keys get. */
  readonly ttl: number;
  /** Most envelopes to re-send plus broadcasts to catch up on; more refuses (`overflow`). */
  readonly maxEntries: number;
  /** Resolves once this node's own broadcasts published so far are in the logs. */
  readonly published: () => Promise<void>;
}

interface StreamEntry {
  readonly id: string;
  readonly message: Record<string, string | Buffer>;
}

class Refusal extends Error {
  constructor(readonly reason: ResumeFailure) {
    super(reason);
  }
}

/** A session's record from its HASH fields. */
export function parseRecord(sid: string, fields: Record<string, string>): SessionRecord {
  const number = (name: string) => Number(fields[name] ?? 0) || 0;
  const suspendedAt = fields.suspendedAt ? Number(fields.suspendedAt) : undefined;
  return {
    sid,
    identity: unwrap(fields.identity),
    data: unwrap(fields.data),
    rooms: parseRooms(fields.rooms),
    positions: { sent: number('sent'), acknowledged: number('acknowledged'), received: number('received') },
    state: fields.state === 'suspended' ? 'suspended' : 'attached',
    suspendedAt,
    ...(fields.peerId ? { peerId: fields.peerId } : {}),
  };
}

/** Take `sid` over for this node and read what to re-send after `ack` and what it missed. */
export async function adoptSession(context: AdoptionContext, sid: string, ack: number): Promise<Adoption> {
  const { client, keys, nodeId, ttl } = context;
  const raw = (await runScript(client, SESSION_TAKE, [keys.session(sid), keys.sessionLog(sid)], [nodeId, String(ttl)])) as string[] | null;
  if (raw === null || raw.length === 0) return { kind: 'refused', reason: 'unknown' };
  const fields: Record<string, string> = {};
  for (let i = 0; i + 1 < raw.length; i += 2) fields[raw[i]!] = raw[i + 1]!;
  try {
    // Redis lost the record once (restart without persistence): its log lost its beginning.
    if (fields.lost === '1') throw new Refusal('restart');
    // A write of it failed: its log has a hole.
    if (fields.gap === '1') throw new Refusal('overflow');
    const record = parseRecord(sid, fields);
    const { replay, seen } = await readSessionLog(context, sid, ack, record.positions.sent);
    const rooms = new RoomCatchUp(context, record, seen);
    const catchUp = await rooms.start(fields);
    return { kind: 'adopted', session: { record, replay, catchUp, seen, topUp: () => rooms.more() } };
  } catch (err) {
    if (err instanceof Refusal) return { kind: 'refused', reason: err.reason };
    throw err;
  }
}

/** The session's own log: envelopes after `ack` (exactly ack+1 … sent), and every broadcast id in it. */
async function readSessionLog(context: AdoptionContext, sid: string, ack: number, sent: number): Promise<{ replay: Array<string | Uint8Array>; seen: Set<string> }> {
  const replay: Array<string | Uint8Array> = [];
  const seen = new Set<string>();
  let expected = ack + 1;
  await readStream(context, context.keys.sessionLog(sid), '-', (entry) => {
    const seq = Number(entry.id.slice(0, entry.id.indexOf('-')));
    const id = String(entry.message.i ?? '');
    if (id !== '') seen.add(id);
    if (seq <= ack) return;
    // docs/protocol.md §10.2: the client must get every seq after its ack, none skipped.
    if (seq !== expected) throw new Refusal('overflow');
    expected += 1;
    const data = entry.message.d!;
    replay.push(String(entry.message.b) === '1' ? new Uint8Array(asBuffer(data)) : asBuffer(data).toString('utf8'));
    if (replay.length > context.maxEntries) throw new Refusal('overflow');
  });
  // What the old node wrote it had sent must all be there (the client may have more: it acked it).
  if (sent > ack && expected !== sent + 1) throw new Refusal('overflow');
  return { replay, seen };
}

/** The session's rooms' logs after the positions its old node reached. */
class RoomCatchUp {
  readonly #context: AdoptionContext;
  readonly #record: SessionRecord;
  readonly #seen: ReadonlySet<string>;
  /** Per room, the last log entry read (the next read starts after it). */
  readonly #last = new Map<string, string>();
  #total = 0;

  constructor(context: AdoptionContext, record: SessionRecord, seen: ReadonlySet<string>) {
    this.#context = context;
    this.#record = record;
    this.#seen = seen;
  }

  /** First read: from each room's position, checking that its history is intact. */
  async start(fields: Record<string, string>): Promise<CaughtUpBroadcast[]> {
    const found: Array<CaughtUpBroadcast & { readonly at: string }> = [];
    for (const room of this.#record.rooms) {
      const position = fields[`pos:${room}`];
      // No position yet (joined in the old node's last tick): nothing known to catch up on.
      if (position === undefined) continue;
      const space = position.indexOf(' ');
      const epoch = position.slice(0, space);
      const offset = position.slice(space + 1);
      const current = (await this.#context.client.get(this.#context.keys.roomEpoch(room))) as string | null;
      // An epoch the log no longer has: its history was lost (Redis restarted, the log expired).
      if (epoch !== '' && current !== epoch) throw new Refusal('restart');
      this.#last.set(room, offset);
      await this.#read(room, offset === '0-0' ? '-' : offset, offset === '0-0' ? undefined : offset, found);
    }
    return ordered(found);
  }

  /** What the rooms got since the last read (after the session's rooms were joined on this node). */
  async more(): Promise<CaughtUpBroadcast[]> {
    // This node's broadcasts published before the rooms were joined here reached no member
    // live: they must be in the logs before they are read.
    await this.#context.published();
    const found: Array<CaughtUpBroadcast & { readonly at: string }> = [];
    for (const [room, last] of this.#last) await this.#read(room, last === '0-0' ? '-' : `(${last}`, undefined, found);
    return ordered(found);
  }

  async #read(room: string, from: string, mustStartAt: string | undefined, found: Array<CaughtUpBroadcast & { at: string }>): Promise<void> {
    let first = true;
    await readStream(this.#context, this.#context.keys.roomLog(room), from, (entry) => {
      if (first && mustStartAt !== undefined) {
        first = false;
        // The entry the position names was trimmed away: what followed it may be too.
        if (entry.id !== mustStartAt) throw new Refusal('overflow');
        return;
      }
      first = false;
      this.#last.set(room, entry.id);
      const picked = this.#pick(entry);
      if (picked === undefined) return;
      if (++this.#total > this.#context.maxEntries) throw new Refusal('overflow');
      found.push({ ...picked, at: entry.id });
    });
    if (first && mustStartAt !== undefined) throw new Refusal('overflow');
  }

  /** A logged broadcast the session would have received, and has not. */
  #pick(entry: StreamEntry): CaughtUpBroadcast | undefined {
    const bytes = asBuffer(entry.message.m!);
    // The log keeps the message without its positions section: give it an empty one.
    const message = decodeClusterMessage(Buffer.concat([Buffer.alloc(4), bytes]));
    if (message.kind !== MessageKinds.Broadcast || message.volatile || message.id === undefined || this.#seen.has(message.id)) return undefined;
    const record = this.#record;
    for (const room of message.target.exceptRooms) if (record.rooms.includes(room)) return undefined;
    if (record.peerId !== undefined && message.target.exceptPeers.has(record.peerId)) return undefined;
    const body = message.text ? PreparedMessage.fromUtf8(message.body, false) : new PreparedMessage(message.body, false);
    return { id: message.id, message: body };
  }
}

/** Broadcasts of several rooms in log order (a multi-room broadcast once); ids are `ms-n`. */
function ordered(found: Array<CaughtUpBroadcast & { readonly at: string }>): CaughtUpBroadcast[] {
  const byId = new Map<string, CaughtUpBroadcast & { at: string }>();
  for (const item of found) if (!byId.has(item.id)) byId.set(item.id, item);
  return [...byId.values()].sort((a, b) => compareIds(a.at, b.at)).map(({ id, message }) => ({ id, message }));
}

function compareIds(a: string, b: string): number {
  const [am, as] = a.split('-').map(Number) as [number, number];
  const [bm, bs] = b.split('-').map(Number) as [number, number];
  return am - bm || as - bs;
}

/** XRANGE `key` from `from` to the end, page by page. */
async function readStream(context: AdoptionContext, key: string, from: string, each: (entry: StreamEntry) => void): Promise<void> {
  let start = from;
  for (;;) {
    const page = (await context.binary.xRange(key, start, '+', { COUNT: PAGE })) as unknown as Array<{ id: string | Buffer; message: Record<string, string | Buffer> }>;
    for (const entry of page) each({ id: String(entry.id), message: entry.message });
    if (page.length < PAGE) return;
    start = `(${page[page.length - 1]!.id}`;
  }
}

function asBuffer(value: string | Buffer): Buffer {
  return typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
}

function unwrap(json: string | undefined): unknown {
  if (json === undefined) return undefined;
  try {
    return (JSON.parse(json) as { v?: unknown }).v;
  } catch {
    return undefined;
  }
}

function parseRooms(json: string | undefined): string[] {
  try {
    const rooms = JSON.parse(json ?? '[]') as unknown;
    return Array.isArray(rooms) ? rooms.filter((room): room is string => typeof room === 'string') : [];
  } catch {
    return [];
  }
}

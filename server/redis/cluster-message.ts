/**
 * The bytes on the cluster channel. One binary layout, so an envelope crosses Redis as it was
 * encoded on the publishing node (no JSON-in-JSON, no base64 for binary envelopes):
 *
 *   [u32 positionsLength][positions JSON][u8 kind][u32 headerLength][header JSON][body]
 *
 * `positions` is written by the publish script when the broadcast was appended to room logs
 * ([room, epoch, offset] triples), empty otherwise. The header names the origin node and the
 * audience; the body is the encoded envelope (broadcasts) or empty (room changes).
 */
import type { BroadcastTarget, PeerId } from '../typed/adapter.js';
import { RedisAdapterError, RedisErrorCodes } from './errors.js';

/** What a cluster message asks the receiving nodes to do. */
export const MessageKinds = { Broadcast: 1, AddRooms: 2, RemoveRooms: 3 } as const;
/** A value of {@link MessageKinds}. */
export type MessageKind = (typeof MessageKinds)[keyof typeof MessageKinds];

/** Where a broadcast landed in one room's log: what a resuming session will replay from. */
export interface LogPosition {
  readonly room: string;
  /** Changes when the log's history was lost (Redis restarted without persistence, expiry). */
  readonly epoch: string;
  /** The stream entry id, increasing within an epoch. */
  readonly offset: string;
}

/** A decoded cluster message. */
export interface ClusterMessage {
  readonly kind: MessageKind;
  /** The node that published it (a node ignores its own). */
  readonly origin: string;
  readonly target: BroadcastTarget;
  readonly volatile: boolean;
  /** The body is a text envelope (UTF-8). */
  readonly text: boolean;
  /** The encoded envelope (broadcasts); a view into the received buffer, not a copy. */
  readonly body: Uint8Array;
  /** Rooms to join or leave (room changes). */
  readonly rooms: readonly string[];
  readonly positions: readonly LogPosition[];
  /** The broadcast's cluster-wide id (a resumed session is not re-sent one it has). */
  readonly id: string | undefined;
}

interface Header {
  n: string;
  t?: 1;
  v?: 1;
  r?: string[];
  p?: PeerId[];
  xr?: string[];
  xp?: PeerId[];
  m?: string[];
  i?: string;
}

const POSITIONS_AT = 0;
const KIND_BYTES = 1;
const LENGTH_BYTES = 4;

/**
 * Encode a cluster message with an empty positions section. The publish script takes
 * `subarray(4)` and writes its own positions in front, so the body is copied once, here.
 */
export function encodeClusterMessage(
  kind: MessageKind,
  origin: string,
  target: BroadcastTarget,
  options: { volatile?: boolean; text?: boolean; body?: Uint8Array; rooms?: readonly string[]; id?: string } = {},
): Buffer {
  const header: Header = { n: origin };
  if (options.id !== undefined) header.i = options.id;
  if (options.text) header.t = 1;
  if (options.volatile) header.v = 1;
  if (target.rooms.size > 0) header.r = [...target.rooms];
  if (target.peers !== undefined && target.peers.size > 0) header.p = [...target.peers];
  if (target.exceptRooms.size > 0) header.xr = [...target.exceptRooms];
  if (target.exceptPeers.size > 0) header.xp = [...target.exceptPeers];
  if (options.rooms !== undefined) header.m = [...options.rooms];
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  const body = options.body ?? EMPTY;
  const out = Buffer.allocUnsafe(LENGTH_BYTES + KIND_BYTES + LENGTH_BYTES + json.length + body.byteLength);
  out.writeUInt32BE(0, POSITIONS_AT);
  out.writeUInt8(kind, LENGTH_BYTES);
  out.writeUInt32BE(json.length, LENGTH_BYTES + KIND_BYTES);
  json.copy(out, 2 * LENGTH_BYTES + KIND_BYTES);
  out.set(body, 2 * LENGTH_BYTES + KIND_BYTES + json.length);
  return out;
}

const EMPTY = new Uint8Array(0);

/** Decode a message from the channel; throws a {@link RedisAdapterError} for anything malformed. */
export function decodeClusterMessage(bytes: Buffer): ClusterMessage {
  const positionsLength = readLength(bytes, 0);
  let at = LENGTH_BYTES + positionsLength;
  const positions = positionsLength === 0 ? [] : parsePositions(bytes.subarray(LENGTH_BYTES, at));
  if (bytes.length < at + KIND_BYTES + LENGTH_BYTES) throw invalid('truncated before the header');
  const kind = bytes.readUInt8(at);
  if (kind !== MessageKinds.Broadcast && kind !== MessageKinds.AddRooms && kind !== MessageKinds.RemoveRooms) {
    throw invalid(`unknown kind ${kind}`);
  }
  at += KIND_BYTES;
  const headerLength = readLength(bytes, at);
  at += LENGTH_BYTES;
  const header = parseHeader(bytes.subarray(at, at + headerLength));
  return {
    kind,
    origin: header.n,
    target: {
      rooms: new Set(header.r ?? []),
      peers: new Set(header.p ?? []),
      exceptRooms: new Set(header.xr ?? []),
      exceptPeers: new Set(header.xp ?? []),
    },
    volatile: header.v === 1,
    text: header.t === 1,
    body: bytes.subarray(at + headerLength),
    rooms: header.m ?? [],
    positions,
    id: header.i,
  };
}

function readLength(bytes: Buffer, at: number): number {
  if (bytes.length < at + LENGTH_BYTES) throw invalid('truncated length');
  const length = bytes.readUInt32BE(at);
  if (at + LENGTH_BYTES + length > bytes.length) throw invalid(`length ${length} runs past the message`);
  return length;
}

function parseHeader(bytes: Buffer): Header {
  const header = parseJson(bytes) as Partial<Header> | null;
  if (typeof header !== 'object' || header === null || typeof header.n !== 'string') throw invalid('header without an origin node');
  if (header.i !== undefined && typeof header.i !== 'string') throw invalid('header field i is not a string');
  for (const field of ['r', 'p', 'xr', 'xp', 'm'] as const) {
    const list = header[field];
    if (list !== undefined && !(Array.isArray(list) && list.every((item) => typeof item === 'string'))) {
      throw invalid(`header field ${field} is not a list of strings`);
    }
  }
  return header as Header;
}

function parsePositions(bytes: Buffer): LogPosition[] {
  const list = parseJson(bytes);
  if (!Array.isArray(list)) throw invalid('positions are not a list');
  return list.map((item: unknown) => {
    if (!Array.isArray(item) || item.length !== 3 || !item.every((part) => typeof part === 'string')) {
      throw invalid('a position is not [room, epoch, offset]');
    }
    return { room: item[0] as string, epoch: item[1] as string, offset: item[2] as string };
  });
}

function parseJson(bytes: Buffer): unknown {
  try {
    return JSON.parse(bytes.toString('utf8'));
  } catch {
    throw invalid('not JSON');
  }
}

function invalid(detail: string): RedisAdapterError {
  return new RedisAdapterError(RedisErrorCodes.InvalidClusterMessage, `invalid cluster message: ${detail}`);
}

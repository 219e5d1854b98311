/**
 * What a session's outbound log keeps per envelope, to re-send it after a resume. An envelope sent
 * to one peer is kept as it went out (its seq inside). A broadcast is encoded once for all its
 * recipients, but every recipient numbers it with its own seq: its entry keeps that seq, one small
 * buffer made at delivery (frame header + `{"seq":N,` and any ack it carried) and a reference to
 * the one shared body, written as `[head, the body after its {]` — so a room of 10,000 costs 10,000
 * small entries and one body, never 10,000 copies. A binary envelope (docs/protocol.md §5) gets
 * its 5-byte header rebuilt for the longer JSON; the rest of its bytes are shared too.
 */
import { BINARY_FRAME_VERSION } from '../../../src/codec.js';
import { Opcodes } from '../../../src/rfc6455/constants.js';

/** Bytes of a binary envelope's header: version byte + u32 JSON length (docs/protocol.md §5). */
const BINARY_HEADER_BYTES = 5;
const OPEN_BRACE = 0x7b;

/** A broadcast envelope as encoded once by the JSON codec, shared by every recipient's log. */
export class SharedBody {
  /** The encoded envelope without a seq: JSON text, or a binary envelope. */
  readonly data: string | Uint8Array;
  readonly binary: boolean;
  /** Encoded length in bytes (UTF-8 for text). */
  readonly bytes: number;
  /** Logs holding an entry of this body: the owner counts its bytes once while it is above 0. */
  refs = 0;
  /** The bytes after the JSON's opening brace (for binary: after header and brace), shared by every frame. */
  readonly tail: Uint8Array;
  /** A binary envelope's JSON length (docs/protocol.md §5), before any spliced field; 0 for text. */
  readonly jsonBytes: number;

  constructor(data: string | Uint8Array) {
    this.data = data;
    this.binary = typeof data !== 'string';
    const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    const brace = this.binary ? BINARY_HEADER_BYTES : 0;
    // Only an envelope encoded as a JSON object can take a spliced field; the server shares bodies
    // only with the JSON codec, so anything else is a bug in the caller, not a peer's fault.
    if (bytes[brace] !== OPEN_BRACE) throw new TypeError('a shared body must be a JSON object envelope');
    this.bytes = bytes.byteLength;
    this.tail = bytes.subarray(brace + 1);
    this.jsonBytes = this.binary ? new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(1) : 0;
  }
}

/** An envelope sent to this session alone, kept encoded as it went out (its seq inside). */
export interface DirectEntry {
  readonly kind: 'direct';
  readonly data: string | Uint8Array;
  readonly bytes: number;
}

/**
 * One recipient's copy of a broadcast: its seq, the one small buffer made for it (frame header +
 * binary header + `{"seq":N,` and any piggybacked `"ack":M,`), and the shared body. Built once at
 * delivery by {@link sharedEntry}; every write and re-send of it reuses `head`.
 */
export interface SharedEntry {
  readonly kind: 'shared';
  readonly seq: number;
  readonly head: Buffer;
  readonly body: SharedBody;
  /** Bytes of the envelope as (re-)sent, frame header excluded. */
  readonly bytes: number;
}

/** One entry of a server session's outbound log. */
export type LogEntry = DirectEntry | SharedEntry;

const QUOTE = 0x22;
const COLON = 0x3a;
const COMMA = 0x2c;
const ZERO = 0x30;
const SEQ_KEY = [QUOTE, 0x73, 0x65, 0x71, QUOTE, COLON]; // "seq":
const ACK_KEY = [QUOTE, 0x61, 0x63, 0x6b, QUOTE, COLON]; // "ack":

/** Decimal digits of a non-negative safe integer (seqs and acks are). */
function digits(n: number): number {
  let count = 1;
  while (n >= 10) {
    n = Math.floor(n / 10);
    count += 1;
  }
  return count;
}

/** Writes `key` + the decimal digits of `n` + `,` at `offset`; returns the offset after it. */
function writeField(target: Buffer, offset: number, key: readonly number[], n: number): number {
  for (let i = 0; i < key.length; i++) target[offset++] = key[i]!;
  const end = offset + digits(n);
  for (let i = end - 1; i >= offset; i--) {
    target[i] = ZERO + (n % 10);
    n = Math.floor(n / 10);
  }
  target[end] = COMMA;
  return end + 1;
}

/**
 * The entry of `body` numbered `seq` (carrying `ack` when one was owed). The spliced fields'
 * length is known from the digit counts, so the frame header (whose size depends on the total
 * length) and the fields are written straight into one buffer: no string, no second buffer.
 */
export function sharedEntry(body: SharedBody, seq: number, ack: number | undefined): SharedEntry {
  // `{` is already counted in body.bytes: the fields add `"seq":N,` and maybe `"ack":M,`.
  const fieldBytes = SEQ_KEY.length + digits(seq) + 1 + (ack === undefined ? 0 : ACK_KEY.length + digits(ack) + 1);
  const bytes = body.bytes + fieldBytes;
  // RFC 6455 §5.2: the minimal number of bytes encodes the length (7, 7+16 or 7+64 bits).
  const lengthBytes = bytes < 126 ? 0 : bytes < 0x1_0000 ? 2 : 8;
  const envelopeHead = (body.binary ? BINARY_HEADER_BYTES : 0) + 1 + fieldBytes;
  const head = Buffer.allocUnsafe(2 + lengthBytes + envelopeHead);
  head[0] = 0x80 | (body.binary ? Opcodes.Binary : Opcodes.Text); // FIN; a server never masks
  if (lengthBytes === 0) head[1] = bytes;
  else if (lengthBytes === 2) {
    head[1] = 126;
    head.writeUInt16BE(bytes, 2);
  } else {
    head[1] = 127;
    head.writeUInt32BE(Math.floor(bytes / 0x1_0000_0000), 2);
    head.writeUInt32BE(bytes >>> 0, 6);
  }
  let offset = 2 + lengthBytes;
  if (body.binary) {
    // docs/protocol.md §5: the JSON grew by the spliced fields; the attachments are unchanged.
    head[offset] = BINARY_FRAME_VERSION;
    head.writeUInt32BE(body.jsonBytes + fieldBytes, offset + 1);
    offset += BINARY_HEADER_BYTES;
  }
  head[offset++] = OPEN_BRACE;
  offset = writeField(head, offset, SEQ_KEY, seq);
  if (ack !== undefined) writeField(head, offset, ACK_KEY, ack);
  return { kind: 'shared', seq, head, body, bytes };
}

/** Bytes the entry occupies on the wire when (re-)sent, frame header excluded. */
export function entryBytes(entry: LogEntry): number {
  return entry.bytes;
}

/**
 * The complete unmasked frame of a shared entry as chunks: `[its head, the shared tail]`, for
 * one writev. Nothing is allocated but the two-element list.
 */
export function sharedFrame(entry: SharedEntry): readonly Uint8Array[] {
  return [entry.head, entry.body.tail];
}

/**
 * The entry as message data, for a socket that cannot write ready frames (it frames it itself):
 * a string for text, bytes for binary. Costs a copy of the body; the server's own sockets never
 * take this path.
 */
export function entryData(entry: LogEntry): string | Uint8Array {
  if (entry.kind === 'direct') return entry.data;
  const { head, body } = entry;
  // The head minus its frame header: what the envelope has before the shared tail.
  const envelopeHead = head.subarray(head.byteLength - (entry.bytes - body.tail.byteLength));
  if (!body.binary) return envelopeHead.toString('latin1') + (body.data as string).slice(1);
  const envelope = Buffer.concat([envelopeHead, body.tail]);
  return new Uint8Array(envelope.buffer, envelope.byteOffset, envelope.byteLength);
}

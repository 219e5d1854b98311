/**
 * What a session's outbound log keeps per envelope, to re-send it after a resume. An envelope sent
 * to one peer is kept as it went out (its seq inside). A broadcast is encoded once for all its
 * recipients, but every recipient numbers it with its own seq: its entry keeps only that seq (and
 * the ack it carried) and a reference to the one shared body, and the seq is spliced in when the
 * frame is written — `{` + `"seq":N,` + the body after its `{` — so a room of 10,000 costs 10,000
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
  }
}

/** An envelope sent to this session alone, kept encoded as it went out (its seq inside). */
export interface DirectEntry {
  readonly kind: 'direct';
  readonly data: string | Uint8Array;
  readonly bytes: number;
}

/** One recipient's copy of a broadcast: its seq (and piggybacked ack) plus the shared body. */
export interface SharedEntry {
  readonly kind: 'shared';
  readonly body: SharedBody;
  readonly seq: number;
  readonly ack: number | undefined;
}

/** One entry of a server session's outbound log. */
export type LogEntry = DirectEntry | SharedEntry;

/** The fields spliced after the opening brace: `"seq":N,` or `"seq":N,"ack":M,`. */
function splice(seq: number, ack: number | undefined): string {
  return ack === undefined ? `"seq":${seq},` : `"seq":${seq},"ack":${ack},`;
}

/** Bytes the entry occupies on the wire when (re-)sent, frame header excluded. */
export function entryBytes(entry: LogEntry): number {
  if (entry.kind === 'direct') return entry.bytes;
  return entry.body.bytes + splice(entry.seq, entry.ack).length;
}

/**
 * The complete unmasked frame of an entry as chunks (RFC 6455 §5.2, FIN set, a server never
 * masks): `[frame header + binary header + "{" + spliced fields, shared tail]`. Only the first
 * chunk is allocated per recipient.
 */
export function sharedFrame(entry: SharedEntry): readonly Uint8Array[] {
  const fields = `{${splice(entry.seq, entry.ack)}`;
  const envelopeHead = (entry.body.binary ? BINARY_HEADER_BYTES : 0) + fields.length;
  const payloadLength = envelopeHead + entry.body.tail.byteLength;
  // RFC 6455 §5.2: the minimal number of bytes encodes the length (7, 7+16 or 7+64 bits).
  const lengthBytes = payloadLength < 126 ? 0 : payloadLength < 0x1_0000 ? 2 : 8;
  const head = Buffer.allocUnsafe(2 + lengthBytes + envelopeHead);
  head[0] = 0x80 | (entry.body.binary ? Opcodes.Binary : Opcodes.Text);
  if (lengthBytes === 0) head[1] = payloadLength;
  else if (lengthBytes === 2) {
    head[1] = 126;
    head.writeUInt16BE(payloadLength, 2);
  } else {
    head[1] = 127;
    head.writeUInt32BE(Math.floor(payloadLength / 0x1_0000_0000), 2);
    head.writeUInt32BE(payloadLength >>> 0, 6);
  }
  writeEnvelopeHead(head, 2 + lengthBytes, entry.body, fields);
  return [head, entry.body.tail];
}

/** Writes the binary header (when binary) and `fields` at `offset`. */
function writeEnvelopeHead(target: Buffer, offset: number, body: SharedBody, fields: string): void {
  if (body.binary) {
    // docs/protocol.md §5: the JSON grew by the spliced fields; the attachments are unchanged.
    const data = body.data as Uint8Array;
    const jsonLength = new DataView(data.buffer, data.byteOffset, data.byteLength).getUint32(1);
    target[offset] = BINARY_FRAME_VERSION;
    target.writeUInt32BE(jsonLength + fields.length - 1, offset + 1);
    offset += BINARY_HEADER_BYTES;
  }
  target.write(fields, offset, 'latin1'); // ASCII only: braces, quotes, digits
}

/**
 * The entry as message data, for a socket that cannot write ready frames (it frames it itself):
 * a string for text, bytes for binary. Costs a copy of the body; the server's own sockets never
 * take this path.
 */
export function entryData(entry: LogEntry): string | Uint8Array {
  if (entry.kind === 'direct') return entry.data;
  const { body } = entry;
  const fields = `{${splice(entry.seq, entry.ack)}`;
  if (!body.binary) return fields + (body.data as string).slice(1);
  const head = Buffer.allocUnsafe(BINARY_HEADER_BYTES + fields.length);
  writeEnvelopeHead(head, 0, body, fields);
  const envelope = Buffer.concat([head, body.tail]);
  return new Uint8Array(envelope.buffer, envelope.byteOffset, envelope.byteLength);
}

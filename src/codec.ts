/**
 * Envelopes ⇄ WebSocket message data, the one place both ends agree on bytes: JSON text frames by
 * default, and binary frames (a 5-byte header, the JSON, then the raw attachments) so Uint8Array
 * and ArrayBuffer payloads travel without base64 (docs/protocol.md §5). Decoding is strict and
 * turns anything that is not a valid envelope into a ProtocolError value with its close code.
 */
import { CloseCodes } from './close-codes.js';
import { ErrorCodes, ProtocolError, isProtocolError } from './errors.js';
import { envelopeError, parseEnvelope } from './envelope.js';
import { bytesOf, describeMessage, findUnserializable, isArrayBuffer, unserializable, unserializableError } from './json-check.js';
import type { Envelope } from './envelope.js';

// WHATWG Encoding API: not in ES2022, but present in every browser and in Node ≥ 11.
declare const TextEncoder: new () => { encode(input: string): Uint8Array };
declare const TextDecoder: new (label: string, options: { fatal: boolean }) => { decode(input: Uint8Array): string };

/**
 * Turns envelopes into WebSocket message data and back. `decode` throws a {@link ProtocolError}
 * (with the `closeCode` to fail the connection with) on anything that is not a valid envelope;
 * callers go through {@link decodeEnvelope}, which never throws.
 */
export interface Codec {
  /** Shown in errors and docs, e.g. `json`. */
  readonly name: string;
  /** A string travels as a text frame, a Uint8Array as a binary frame. */
  encode(envelope: Envelope): string | Uint8Array;
  decode(data: string | Uint8Array): Envelope;
}

/** First byte of a v1 binary frame (docs/protocol.md "Binary frames"). */
export const BINARY_FRAME_VERSION = 1;
const HEADER_BYTES = 5; // version byte + u32 JSON length

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

function invalid(message: string): never {
  // RFC 6455 §7.4.1: 1007 = data inconsistent with the message type (not JSON, bad framing).
  throw envelopeError(message, CloseCodes.InvalidPayload);
}

export { isArrayBuffer };

// The envelope fields that carry application data (everything else is Tandem's own).
const DATA_FIELDS = new Set(['payload', 'details', 'auth']);

/** Thrown from the replacer to stop at the first bad value; the path is found afterwards. */
class Unserializable extends Error {}

function encode(envelope: Envelope): string | Uint8Array {
  // One stringify pass both serialises and pulls out binary values (replaced by placeholders),
  // and stops at anything JSON would throw on or silently lose.
  const attachments: Uint8Array[] = [];
  let json: string;
  try {
    json = JSON.stringify(envelope, function (this: Record<string, unknown>, key, replaced: unknown) {
      // JSON.stringify calls toJSON() before the replacer (a Node Buffer would arrive as
      // {type:'Buffer',data:[…]}): binary data is recognised on the holder's own value, everything
      // else (Date, URL, any toJSON) keeps its serialised form.
      const own = this[key];
      const ownBytes = bytesOf(own);
      const value = ownBytes ? own : replaced;
      const bytes = ownBytes ?? bytesOf(replaced);
      if (bytes === undefined) {
        // An object's undefined field is simply omitted, as JSON does: in this protocol an absent
        // field equals undefined (docs/protocol.md §2). Only in an array would it become null.
        if (value === undefined && !Array.isArray(this)) return value;
        if (((this as unknown) !== envelope || DATA_FIELDS.has(key)) && value !== envelope && unserializable(value) !== undefined) throw new Unserializable();
        return value;
      }
      attachments.push(bytes);
      return { [isArrayBuffer(value) ? '$buf' : '$bin']: attachments.length - 1 };
    });
  } catch (err) {
    // The slow path, only on failure: say which message and where (a cycle lands here too).
    const env = envelope as { payload?: unknown; details?: unknown; auth?: unknown };
    for (const field of DATA_FIELDS) {
      if (!(field in env)) continue;
      const found = findUnserializable(env[field as keyof typeof env], field);
      if (found !== undefined) throw unserializableError(describeMessage(envelope), found, err instanceof Unserializable ? undefined : err);
    }
    throw err; // e.g. RangeError: a payload nested too deep for JSON.stringify's own recursion
  }
  if (attachments.length === 0) return json;
  // The envelope is a JSON object, so its text ends in "}": append the attachment length table.
  const head = encoder.encode(`${json.slice(0, -1)},"bin":[${attachments.map((a) => a.byteLength).join(',')}]}`);
  const parts = [head, ...attachments];
  const out = new Uint8Array(parts.reduce((total, part) => total + part.byteLength, HEADER_BYTES));
  out[0] = BINARY_FRAME_VERSION;
  new DataView(out.buffer).setUint32(1, head.byteLength);
  let offset = HEADER_BYTES;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.byteLength;
  }
  return out;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return invalid('message is not valid JSON');
  }
}

// docs/protocol.md "Binary frames": version byte, u32 JSON length, JSON head, raw attachments.
function decodeBinary(frame: Uint8Array): Envelope {
  const truncated = 'binary frame truncated';
  if (frame.byteLength < HEADER_BYTES) invalid(truncated);
  if (frame[0] !== BINARY_FRAME_VERSION) {
    throw envelopeError(`unsupported binary frame version ${String(frame[0])}`, CloseCodes.UnsupportedData, ErrorCodes.UnsupportedVersion);
  }
  const jsonEnd = HEADER_BYTES + new DataView(frame.buffer, frame.byteOffset, frame.byteLength).getUint32(1);
  if (jsonEnd > frame.byteLength) invalid(truncated);
  let text: string;
  try {
    text = decoder.decode(frame.subarray(HEADER_BYTES, jsonEnd));
  } catch {
    return invalid('binary frame JSON is not UTF-8');
  }
  const head = parseJson(text) as { bin?: unknown };
  const table = typeof head === 'object' && head !== null ? head.bin : undefined;
  const badTable = 'binary frame "bin" is invalid';
  if (!Array.isArray(table)) invalid(badTable);
  const attachments: Uint8Array[] = [];
  let offset = jsonEnd;
  for (const length of table as unknown[]) {
    if (!Number.isSafeInteger(length) || (length as number) < 0) invalid(badTable);
    attachments.push(frame.subarray(offset, (offset += length as number))); // a view, not a copy
  }
  // The lengths must account for every byte: no more, no fewer.
  if (offset !== frame.byteLength) invalid(badTable);
  delete head.bin;
  return parseEnvelope(revive(head, attachments));
}

// Placeholders are objects whose only key is "$bin" (→ Uint8Array) or "$buf" (→ ArrayBuffer).
function revive(value: unknown, attachments: Uint8Array[]): unknown {
  if (typeof value !== 'object' || value === null) return value;
  const o = value as Record<string, unknown>;
  const keys = Object.keys(o);
  const [key] = keys;
  if (keys.length === 1 && !Array.isArray(o) && (key === '$bin' || key === '$buf')) {
    const bytes = attachments[o[key] as number];
    if (bytes === undefined) invalid('binary placeholder without attachment');
    return key === '$bin' ? bytes : bytes.slice().buffer;
  }
  for (const k of keys) o[k] = revive(o[k], attachments);
  return o;
}

/**
 * The default codec: JSON text frames; an envelope holding binary values becomes one binary frame
 * (5-byte header + JSON + raw bytes), so binary never pays base64's 33 %.
 */
export const jsonCodec: Codec = Object.freeze({
  name: 'json',
  encode,
  decode(data: string | Uint8Array): Envelope {
    return typeof data === 'string' ? parseEnvelope(parseJson(data)) : decodeBinary(data);
  },
});

/** Result of {@link decodeEnvelope}. */
export type DecodeResult = { ok: true; envelope: Envelope } | { ok: false; error: ProtocolError };

/**
 * Decodes with `codec` and never throws: a bad frame comes back as a {@link ProtocolError}
 * (a custom codec's own exception is wrapped, closeCode 1007).
 */
export function decodeEnvelope(codec: Codec, data: string | Uint8Array): DecodeResult {
  try {
    return { ok: true, envelope: codec.decode(data) };
  } catch (err) {
    if (isProtocolError(err)) return { ok: false, error: err };
    const message = err instanceof Error ? err.message : String(err);
    return { ok: false, error: envelopeError(`${codec.name} codec: ${message}`, CloseCodes.InvalidPayload) };
  }
}

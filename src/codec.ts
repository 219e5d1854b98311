import { CloseCodes } from './close-codes.js';
import { ErrorCodes, ProtocolError, isProtocolError } from './errors.js';
import { parseEnvelope } from './envelope.js';
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
  throw new ProtocolError(ErrorCodes.InvalidEnvelope, message, CloseCodes.InvalidPayload);
}

function isArrayBuffer(value: unknown): value is ArrayBuffer {
  // toString, not instanceof: buffers from another realm (iframe, jsdom, vm) must count too.
  return Object.prototype.toString.call(value) === '[object ArrayBuffer]';
}

// One stringify pass both serialises and pulls out binary values (replaced by placeholders).
function encodeJson(envelope: Envelope): { json: string; attachments: Uint8Array[] } {
  const attachments: Uint8Array[] = [];
  const json = JSON.stringify(envelope, (_key, value: unknown) => {
    if (ArrayBuffer.isView(value)) {
      attachments.push(new Uint8Array(value.buffer, value.byteOffset, value.byteLength));
      return { $bin: attachments.length - 1 };
    }
    if (isArrayBuffer(value)) {
      attachments.push(new Uint8Array(value));
      return { $buf: attachments.length - 1 };
    }
    return value;
  });
  return { json, attachments };
}

function encode(envelope: Envelope): string | Uint8Array {
  const { json, attachments } = encodeJson(envelope);
  if (attachments.length === 0) return json;
  // The envelope is a JSON object, so its text ends in "}": append the attachment length table.
  const withTable = `${json.slice(0, -1)},"bin":[${attachments.map((a) => a.byteLength).join(',')}]}`;
  const head = encoder.encode(withTable);
  let total = HEADER_BYTES + head.byteLength;
  for (const a of attachments) total += a.byteLength;
  const out = new Uint8Array(total);
  out[0] = BINARY_FRAME_VERSION;
  new DataView(out.buffer).setUint32(1, head.byteLength);
  out.set(head, HEADER_BYTES);
  let offset = HEADER_BYTES + head.byteLength;
  for (const a of attachments) {
    out.set(a, offset);
    offset += a.byteLength;
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

function decodeBinary(frame: Uint8Array): Envelope {
  if (frame.byteLength < HEADER_BYTES) invalid('binary frame shorter than its 5-byte header');
  if (frame[0] !== BINARY_FRAME_VERSION) {
    throw new ProtocolError(ErrorCodes.UnsupportedVersion, `unsupported binary frame version ${String(frame[0])}`, CloseCodes.UnsupportedData);
  }
  const jsonBytes = new DataView(frame.buffer, frame.byteOffset, frame.byteLength).getUint32(1);
  if (jsonBytes > frame.byteLength - HEADER_BYTES) invalid('binary frame JSON length exceeds the frame');
  let text: string;
  try {
    text = decoder.decode(frame.subarray(HEADER_BYTES, HEADER_BYTES + jsonBytes));
  } catch {
    return invalid('binary frame JSON is not valid UTF-8');
  }
  const head = parseJson(text);
  const table = typeof head === 'object' && head !== null ? (head as { bin?: unknown }).bin : undefined;
  if (!Array.isArray(table) || !table.every((n) => typeof n === 'number' && Number.isSafeInteger(n) && n >= 0)) {
    invalid('binary frame "bin" must be an array of byte lengths');
  }
  const lengths = table as number[];
  const attachments: Uint8Array[] = [];
  let offset = HEADER_BYTES + jsonBytes;
  for (const length of lengths) {
    attachments.push(frame.subarray(offset, offset + length)); // a view, not a copy
    offset += length;
  }
  if (offset !== frame.byteLength) invalid('binary frame attachment lengths do not add up to the frame size');
  delete (head as { bin?: unknown }).bin;
  return parseEnvelope(revive(head, attachments));
}

// Placeholders are objects whose only key is "$bin" (→ Uint8Array) or "$buf" (→ ArrayBuffer).
function revive(value: unknown, attachments: Uint8Array[]): unknown {
  if (typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) value[i] = revive(value[i], attachments);
    return value;
  }
  const o = value as Record<string, unknown>;
  const keys = Object.keys(o);
  if (keys.length === 1 && (keys[0] === '$bin' || keys[0] === '$buf')) {
    const bytes = attachments[o[keys[0]] as number];
    if (bytes === undefined) invalid(`binary placeholder ${JSON.stringify(o)} has no attachment`);
    return keys[0] === '$bin' ? bytes : bytes.slice().buffer;
  }
  for (const key of keys) o[key] = revive(o[key], attachments);
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
    return { ok: false, error: new ProtocolError(ErrorCodes.InvalidEnvelope, `${codec.name} codec: ${message}`, CloseCodes.InvalidPayload) };
  }
}

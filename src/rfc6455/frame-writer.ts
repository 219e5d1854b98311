/**
 * The RFC 6455 serializer: minimal headers (§5.2), client-role masking with a fresh key per frame
 * (§5.3), and the close payload (§5.5.1). A frame is returned as `[header, payload]` so a server
 * payload is never copied to be framed, and a broadcast can encode once and write the same bytes
 * to every peer.
 */
import { isValidWireCloseCode } from '../close-codes.js';
import { ErrorCodes, TandemError } from '../errors.js';
import { MAX_CLOSE_REASON_BYTES, MAX_CONTROL_PAYLOAD_BYTES, allocateZeroed, isControlOpcode } from './constants.js';
import type { Allocate } from './constants.js';
import { applyMask } from './mask.js';
import { encodeUtf8, truncateUtf8 } from './utf8.js';

const EMPTY = new Uint8Array(0);

/** Options of {@link encodeFrame}. */
export interface EncodeFrameOptions {
  /** Last frame of the message. @default true */
  fin?: boolean;
  /** RSV1: the message is compressed (first frame only, permessage-deflate). @default false */
  rsv1?: boolean;
  /** A 4-byte masking key: client role. The payload is masked into a copy, the input is untouched. */
  mask?: Uint8Array;
}

/**
 * Encode one frame as `[header, payload]`. Throws a TandemError (`ERR_INVALID_ARGUMENT`) for a
 * control frame that is fragmented or longer than 125 bytes, which RFC 6455 §5.5 forbids.
 */
export function encodeFrame(opcode: number, payload: Uint8Array, options: EncodeFrameOptions = {}): Uint8Array[] {
  return encodeFrameParts(opcode, payload, options.fin ?? true, options.rsv1 ?? false, options.mask ?? null);
}

/**
 * {@link encodeFrame} with positional arguments: what the connection's hot path calls. `allocate`
 * makes the header (every byte is written); Node's pooled `Buffer.allocUnsafe` spares the socket
 * from copying a small on-heap typed array out of the JS heap on every write.
 */
export function encodeFrameParts(
  opcode: number,
  payload: Uint8Array,
  fin: boolean,
  rsv1: boolean,
  mask: Uint8Array | null,
  allocate: Allocate = allocateZeroed,
): Uint8Array[] {
  const length = payload.length;
  // RFC 6455 §5.5: control frames carry at most 125 bytes and are never fragmented.
  if (isControlOpcode(opcode) && (length > MAX_CONTROL_PAYLOAD_BYTES || !fin)) {
    throw new TandemError(ErrorCodes.InvalidArgument, 'A control frame must be final and at most 125 bytes');
  }
  // RFC 6455 §5.2: the minimal number of bytes encodes the length (7, 7+16 or 7+64 bits).
  const lengthBytes = length < 126 ? 0 : length < 0x1_0000 ? 2 : 8;
  const maskOffset = 2 + lengthBytes;
  const header = allocate(maskOffset + (mask === null ? 0 : 4));
  header[0] = (fin ? 0x80 : 0) | (rsv1 ? 0x40 : 0) | opcode;
  const maskBit = mask === null ? 0 : 0x80;
  if (lengthBytes === 0) {
    header[1] = maskBit | length;
  } else if (lengthBytes === 2) {
    header[1] = maskBit | 126;
    header[2] = length >>> 8;
    header[3] = length & 0xff;
  } else {
    header[1] = maskBit | 127;
    writeUint32(header, 2, Math.floor(length / 0x1_0000_0000));
    writeUint32(header, 6, length >>> 0);
  }
  if (mask === null) return [header, payload];
  header.set(mask.subarray(0, 4), maskOffset);
  // A copy made by hand: a Node Buffer's slice() is a view, and masking it would change the caller's data.
  const masked = length === 0 ? EMPTY : allocate(length);
  if (length > 0) masked.set(payload);
  applyMask(masked, mask);
  return [header, masked];
}

function writeUint32(target: Uint8Array, offset: number, value: number): void {
  target[offset] = value >>> 24;
  target[offset + 1] = (value >>> 16) & 0xff;
  target[offset + 2] = (value >>> 8) & 0xff;
  target[offset + 3] = value & 0xff;
}

/**
 * The payload of a close frame: empty without a code, else the code and the reason truncated to
 * 123 bytes on a UTF-8 boundary. Throws (`ERR_INVALID_ARGUMENT`) for a code that may not appear
 * on the wire — 1005, 1006 and 1015 included (RFC 6455 §7.4.1).
 */
export function encodeClosePayload(code?: number, reason = ''): Uint8Array {
  if (code === undefined) return EMPTY;
  assertSendableCloseCode(code);
  const reasonBytes = reason === '' ? EMPTY : truncateUtf8(encodeUtf8(reason), MAX_CLOSE_REASON_BYTES);
  const payload = new Uint8Array(2 + reasonBytes.length);
  payload[0] = code >>> 8;
  payload[1] = code & 0xff;
  payload.set(reasonBytes, 2);
  return payload;
}

/**
 * Throws TandemError `ERR_INVALID_ARGUMENT` unless `code` may be sent in a close frame
 * (`undefined`: an empty close frame, always allowed). RFC 6455 §7.4: 1005, 1006, 1015 and
 * unassigned ranges never appear on the wire.
 */
export function assertSendableCloseCode(code: number | undefined): void {
  if (code !== undefined && !isValidWireCloseCode(code)) {
    throw new TandemError(ErrorCodes.InvalidArgument, `Close code ${code} may not be sent`);
  }
}

// ECMAScript has no randomness API for bytes; browsers and Node both expose Web Crypto here.
declare const crypto: { getRandomValues<T extends Uint8Array>(array: T): T };

/** Random bytes fetched at once: one getRandomValues call serves 256 mask keys. */
const POOL_BYTES = 1024;
let pool: Uint8Array | undefined;
let poolOffset = POOL_BYTES;

/** Fill `key` (4 bytes) with fresh random bytes from Web Crypto — RFC 6455 §5.3's "strong source of entropy". */
export function randomMaskKey(key: Uint8Array): void {
  if (poolOffset + 4 > POOL_BYTES || pool === undefined) {
    pool ??= new Uint8Array(POOL_BYTES);
    crypto.getRandomValues(pool);
    poolOffset = 0;
  }
  key[0] = pool[poolOffset]!;
  key[1] = pool[poolOffset + 1]!;
  key[2] = pool[poolOffset + 2]!;
  key[3] = pool[poolOffset + 3]!;
  poolOffset += 4;
}

/**
 * What `ServerConnection.send` and the Node client's `send` accept, and the conversions between it, the engine's Uint8Array
 * and the Buffers that `ws`-style listeners receive. Conversions are views, never copies.
 */
import { Buffer } from 'node:buffer';
import { ErrorCodes, TandemError } from '../src/errors.js';

/** Data accepted by `ServerConnection.send` (and the Node client's `send`). */
export type SendData = string | Uint8Array | ArrayBuffer | ArrayBufferView;

/** `bytes` as a Buffer: itself when it already is one, else a view of the same memory. */
export function toBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** Bytes and type of a message to send (strings are UTF-8 text, everything else binary). */
export function toPayload(data: SendData): [bytes: Uint8Array, isBinary: boolean] {
  if (typeof data === 'string') return [Buffer.from(data, 'utf8'), false];
  if (data instanceof Uint8Array) return [data, true];
  if (data instanceof ArrayBuffer) return [new Uint8Array(data), true];
  if (ArrayBuffer.isView(data)) return [new Uint8Array(data.buffer, data.byteOffset, data.byteLength), true];
  throw new TandemError(ErrorCodes.InvalidArgument, 'send() takes a string, a Buffer, a typed array or an ArrayBuffer');
}

/**
 * Close codes as a browser client sees them: what `WebSocket.close()` accepts from page code, and
 * the 40xx stand-ins the client sends for protocol codes only a server may put on the wire.
 */
import { CloseCodes } from '../src/close-codes.js';
import { ErrorCodes, TandemTypeError } from '../src/errors.js';

/** Throws a TypeError (code `ERR_INVALID_ARGUMENT`) for a code or reason a browser's `WebSocket.close()` would refuse. */
export function checkCloseArgs(code: number, reason: string): void {
  // WHATWG WebSockets, close() steps 1-2: 1000 or 3000-4999 only.
  if (code !== CloseCodes.NormalClosure && !(Number.isInteger(code) && code >= 3000 && code <= 4999)) {
    throw new TandemTypeError(ErrorCodes.InvalidArgument, `close code must be 1000 or 3000-4999, got ${code}`);
  }
  // RFC 6455 §5.5: a control frame carries at most 125 bytes, 2 of them the code.
  if (new TextEncoder().encode(reason).byteLength > 123) throw new TandemTypeError(ErrorCodes.InvalidArgument, 'close reason longer than 123 UTF-8 bytes');
}

/** The code the client closes with for a protocol failure: 1003/1007/1008 become 4003/4007/4008. */
export function browserCloseCode(code: number): number {
  // A browser may not send 1xxx codes other than 1000, so Tandem maps them into its 40xx range.
  return code >= 1000 && code < 1100 ? code + 3000 : code;
}

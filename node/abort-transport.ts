/**
 * Ending a WebSocket's transport abnormally (terminate, close timeout), whatever carries it: a
 * TCP socket is destroyed; an HTTP/2 stream is reset with CANCEL. A plain `destroy()` on a
 * stream would send RST_STREAM NO_ERROR, which Node's peer treats as a clean end and, while it
 * is not reading, does not even report until it reads again: the peer would never learn that its
 * WebSocket is gone (RFC 9113 §8.1: NO_ERROR only after a complete response).
 */
import { constants } from 'node:http2';
import type { Duplex } from 'node:stream';

interface ResettableStream {
  readonly rstCode: number | undefined;
  readonly closed: boolean;
  close(code: number): void;
}

function isHttp2Stream(transport: Duplex): transport is Duplex & ResettableStream {
  return 'rstCode' in transport && typeof (transport as Partial<ResettableStream>).close === 'function';
}

/** Drops `transport` now: destroy a socket, reset (CANCEL) an HTTP/2 stream. */
export function abortTransport(transport: Duplex): void {
  if (isHttp2Stream(transport) && !transport.closed && !transport.destroyed) transport.close(constants.NGHTTP2_CANCEL);
  else transport.destroy();
}

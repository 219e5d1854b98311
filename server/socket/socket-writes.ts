/**
 * How a {@link ServerConnection} hands frames to its socket: writes of one tick are corked into
 * one `writev`, a large frame goes out at once, and sends that cannot happen report through their
 * callback instead of throwing. Functions of the socket alone, so the connection keeps only its
 * "corked" bit.
 */
import type { Duplex } from 'node:stream';
import { ErrorCodes, TandemError } from '../../src/errors.js';
import type { SendCallback } from './server-connection-options.js';

/** Frames with a payload this large are written at once, not batched to the end of the tick. */
export const UNBATCHED_WRITE_BYTES = 16 * 1024;

/**
 * Writes `chunks` (one frame: header, payload) with `cb` on the last. `corked`: this tick's batch
 * is already open. Returns true when this call opened a batch: the caller must uncork the socket
 * on the next tick (and remember it is corked until then).
 */
export function writeChunks(s: Duplex, chunks: readonly Uint8Array[], cb: SendCallback | undefined, corked: boolean): boolean {
  if (!s.writable) {
    if (cb !== undefined) process.nextTick(cb, new TandemError(ErrorCodes.InvalidState, 'The socket is closed'));
    return false;
  }
  const last = chunks.length - 1;
  // A large frame goes out at once (one writev): batched, writes outgrow the socket buffer.
  const now = !corked && last >= 0 && chunks[last]!.length >= UNBATCHED_WRITE_BYTES;
  // Otherwise batch every write of this tick into one syscall.
  if (now || !corked) s.cork();
  for (let i = 0; i < last; i++) {
    const chunk = chunks[i]!;
    if (chunk.length > 0) s.write(chunk);
  }
  if (last >= 0) s.write(chunks[last]!, cb);
  if (now) s.uncork();
  return !now && !corked;
}

/** A send on a connection that is not open: as in ws, a race with the peer, not a crash (`cb` is told). */
export function reportNotOpen(cb: SendCallback | undefined, readyState: number): void {
  if (cb !== undefined) process.nextTick(cb, new TandemError(ErrorCodes.InvalidState, `WebSocket is not open: readyState ${readyState}`));
}

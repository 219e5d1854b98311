/**
 * The lifecycle of a `ServerConnection` as one value instead of flags that can disagree:
 * `open` → `closing` (which owns the close timer) → `closed`. `readyState` is derived from it.
 * Also the policy for user listeners called from inside the parse loop ({@link rethrowLater}).
 */
import { assertNever } from '../../src/assert-never.js';
import { ReadyStates } from './server-connection-options.js';
import type { ReadyState } from './server-connection-options.js';

/** The connection's one lifecycle state; `closing` owns the close timer (none after terminate()). */
export type Lifecycle =
  | { readonly kind: 'open' }
  | { readonly kind: 'closing'; timer: ReturnType<typeof setTimeout> | undefined }
  | { readonly kind: 'closed' };

/** Shared by every open connection: being open costs one pointer. */
export const OPEN: Lifecycle = Object.freeze({ kind: 'open' });

/** Shared by every closed connection. */
export const CLOSED: Lifecycle = Object.freeze({ kind: 'closed' });

/** The `readyState` number for a lifecycle state. */
export function readyStateOf(life: Lifecycle): ReadyState {
  switch (life.kind) {
    case 'open':
      return ReadyStates.OPEN;
    case 'closing':
      return ReadyStates.CLOSING;
    case 'closed':
      return ReadyStates.CLOSED;
    default:
      return assertNever(life, 'connection');
  }
}

function rethrow(err: unknown): never {
  throw err;
}

/**
 * A listener called from inside the parse loop threw: rethrow on the next tick. Like `ws`, the
 * exception becomes an `uncaughtException` (never swallowed); unlike a synchronous throw, it
 * cannot unwind the parser, so later messages of the same chunk are still delivered in order.
 */
export function rethrowLater(err: unknown): void {
  process.nextTick(rethrow, err);
}


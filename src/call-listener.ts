/**
 * The one way Tandem calls user code from inside its own machinery (an event listener, a request
 * handler's synchronous part, a lifecycle listener): the state change that led there is already
 * complete, and an exception is handed to `onThrow` instead of unwinding the caller (a parser, a
 * state machine, a sweep over other peers). Each layer picks what `onThrow` does: the typed layers
 * report it on `'error'` (or to the logger), the socket layer rethrows it on the next tick as `ws` does.
 */

/** What to do with a listener's exception. */
export type OnListenerThrow = (error: unknown) => void;

/** Runs `listener()` (a closure calling user code); an exception it throws goes to `onThrow`. */
export function callListener(onThrow: OnListenerThrow, listener: () => unknown): void {
  try {
    listener();
  } catch (err) {
    onThrow(err);
  }
}

/**
 * How the client tells the application what happened to its link: the public `lifecycle` emitter
 * (`state`, `open`, `close`, `error`), the logger for errors nobody listens to, and the debug
 * trace. Kept apart from the state machine (client.ts) so that machine only decides *when* to
 * notify; this file decides how a listener's exception is contained.
 */
import { EventEmitter } from 'eventemitter3';
import { callListener } from '../src/call-listener.js';
import type { Trace } from '../src/debug.js';
import { asError } from '../src/errors.js';
import type { Logger } from '../src/logger.js';
import type { LifecycleEvents } from './options.js';
import { lifecycleLine } from './trace.js';

/** Emits the client's lifecycle events; user listeners can never unwind the caller. */
export class LifecycleNotifier {
  /** The public emitter (`client.lifecycle`). */
  readonly emitter = new EventEmitter<LifecycleEvents>();
  readonly #logger: Logger | undefined;
  readonly #trace: Trace;

  constructor(logger: Logger | undefined, trace: Trace) {
    this.#logger = logger;
    this.#trace = trace;
  }

  /** Reports on the lifecycle 'error' event; nobody listening, the logger gets it (`source`: what failed). */
  report(error: unknown, source?: string): void {
    if (this.emitter.listenerCount('error') === 0) this.#logger?.error(`tandem client: ${source ?? 'error'}`, error);
    this.notify('error', asError(error));
  }

  /**
   * Emits a lifecycle event. A listener's exception is the application's: it is reported on
   * 'error' (or, from an 'error' listener, rethrown in a microtask so it is not swallowed), and
   * never unwinds the state machine that emitted.
   */
  notify<E extends keyof LifecycleEvents>(event: E, ...args: LifecycleEvents[E]): void {
    if (this.#trace.enabled) this.#trace(lifecycleLine(event, args));
    const onThrow = event === 'error' ? rethrowLater : (err: unknown) => this.report(err, `'${event}' listener`);
    callListener(onThrow, () => (this.emitter.emit as (event: E, ...args: LifecycleEvents[E]) => boolean)(event, ...args));
  }
}

function rethrowLater(err: unknown): void {
  queueMicrotask(() => {
    throw err;
  });
}

/**
 * The server's request handlers (`server.handle`): one table for all peers, which every peer's
 * conversation looks up by name when a request arrives (registering a handler costs nothing per
 * peer). Each call is counted on its peer while it runs, so a handler that never settles shows in
 * `stats().pendingHandlers` until its peer leaves, and is then forgotten with it; a peer may have
 * at most `maxPendingRequests` calls running at once, checked in {@link RequestHandlers}'s one
 * call path.
 */
import type { AnyRequestHandler, HandlerTable } from '../../src/conversation.js';
import { RequestError, RequestErrorCodes } from '../../src/requests.js';

/** Limits of the request handlers. */
export const REQUEST_HANDLER_DEFAULTS = Object.freeze({
  /**
   * Calls one peer may have running at once. Each costs a few hundred bytes until it settles, so
   * without a cap a peer flooding a handler that waits forever grows server memory without bound
   * (100,000 requests measured ~40 MB RSS). Past it a request is answered at once with
   * `too_many_requests` (`RequestErrorCodes.TooManyRequests`), like HTTP 429. @default 1024
   */
  maxPendingPerPeer: 1024,
});

/** Handlers by method name, shared by all peers of one server; `P` is the server's peer type. */
export class RequestHandlers<P extends object> implements HandlerTable<P> {
  readonly #handlers = new Map<string, AnyRequestHandler<P>>();
  /** Calls running per peer (a peer with none has no entry). */
  readonly #running = new Map<P, number>();
  readonly #maxPendingPerPeer: number;
  readonly #observe: ((method: string, seconds: number) => void) | undefined;
  #total = 0;

  /** `observe` gets each call's duration, from the request's arrival to its handler settling (metrics). */
  constructor(maxPendingPerPeer: number = REQUEST_HANDLER_DEFAULTS.maxPendingPerPeer, observe?: (method: string, seconds: number) => void) {
    this.#maxPendingPerPeer = maxPendingPerPeer;
    this.#observe = observe;
  }

  /** Handler calls running now, over all peers. */
  get pending(): number {
    return this.#total;
  }

  /** Register `handler` for `method` (replacing any previous one); returns the disposer. */
  register(method: string, handler: (payload: unknown, peer: P) => unknown): () => void {
    const call: AnyRequestHandler<P> = (payload, peer) => this.#call(method, handler, payload, peer);
    this.#handlers.set(method, call);
    return () => {
      if (this.#handlers.get(method) === call) this.#handlers.delete(method);
    };
  }

  /** The handler of `method` (a conversation's lookup, once per request). */
  get(method: string): AnyRequestHandler<P> | undefined {
    return this.#handlers.get(method);
  }

  /** The peer left: its calls still running no longer count (their answers are dropped anyway). */
  forget(peer: P): void {
    const running = this.#running.get(peer);
    if (running === undefined) return;
    this.#running.delete(peer);
    this.#total -= running;
  }

  #call(method: string, handler: (payload: unknown, peer: P) => unknown, payload: unknown, peer: P): Promise<unknown> {
    const running = this.#running.get(peer) ?? 0;
    const max = this.#maxPendingPerPeer;
    // A RequestError travels back as its error envelope (no report: the peer's doing, not a bug).
    if (running >= max) return Promise.reject(new RequestError(RequestErrorCodes.TooManyRequests, `at most ${max} requests may be pending on one connection`));
    this.#running.set(peer, running + 1);
    this.#total += 1;
    const started = performance.now();
    const settled = (): void => {
      this.#settled(peer);
      this.#observe?.(method, (performance.now() - started) / 1000);
    };
    const result = Promise.resolve().then(() => handler(payload, peer));
    result.then(settled, settled);
    return result;
  }

  #settled(peer: P): void {
    const running = this.#running.get(peer);
    if (running === undefined) return; // forgotten with its peer
    if (running === 1) this.#running.delete(peer);
    else this.#running.set(peer, running - 1);
    this.#total -= 1;
  }
}

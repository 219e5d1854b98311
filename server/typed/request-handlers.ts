/**
 * The server's request handlers (`server.handle`), installed on every peer's conversation: on
 * the peers connected when a handler is registered and on every peer that connects later.
 * Each call is counted on its peer while it runs, so a handler that never settles shows in
 * `stats().pendingHandlers` until its peer leaves, and is then forgotten with it; a peer may have
 * at most {@link REQUEST_HANDLER_DEFAULTS}.maxPendingPerPeer calls running at once.
 */
import type { Peer } from './peer.js';
import type { AnyRequestHandler } from '../../src/conversation.js';
import { RequestError } from '../../src/requests.js';

type AnyPeer = Peer<never>;

/** Limits of the request handlers. */
export const REQUEST_HANDLER_DEFAULTS = Object.freeze({
  /**
   * Calls one peer may have running at once. Each costs a few hundred bytes until it settles, so
   * without a cap a peer flooding a handler that waits forever grows server memory without bound
   * (100,000 requests measured ~40 MB RSS). Past it a request is answered at once with
   * {@link TOO_MANY_REQUESTS}, like HTTP 429. @default 1024
   */
  maxPendingPerPeer: 1024,
});

/** The error-envelope code answering a request over {@link REQUEST_HANDLER_DEFAULTS}.maxPendingPerPeer. */
export const TOO_MANY_REQUESTS = 'too_many_requests';

/** Handlers by method name, shared by all peers of one server. */
export class RequestHandlers {
  readonly #handlers = new Map<string, AnyRequestHandler<AnyPeer>>();
  readonly #peers: () => Iterable<AnyPeer>;
  readonly #maxPendingPerPeer: number;
  readonly #observe: ((method: string, seconds: number) => void) | undefined;

  /**
   * `peers` lists the connected peers (handlers are installed on them at once); `observe` gets
   * each call's duration, from the request's arrival to its handler settling (metrics).
   */
  constructor(peers: () => Iterable<AnyPeer>, maxPendingPerPeer: number = REQUEST_HANDLER_DEFAULTS.maxPendingPerPeer, observe?: (method: string, seconds: number) => void) {
    this.#peers = peers;
    this.#maxPendingPerPeer = maxPendingPerPeer;
    this.#observe = observe;
  }

  /** Register `handler` for `method` (replacing any previous one); returns the disposer. */
  register(method: string, handler: (payload: unknown, peer: AnyPeer) => unknown): () => void {
    const counted: AnyRequestHandler<AnyPeer> = (payload, peer) => {
      const max = this.#maxPendingPerPeer;
      // A RequestError travels back as its error envelope (no report: the peer's doing, not a bug).
      if (peer.inflight >= max) return Promise.reject(new RequestError(TOO_MANY_REQUESTS, `at most ${max} requests may be pending on one connection`));
      peer.inflight += 1;
      const started = performance.now();
      const settled = (): void => {
        peer.inflight -= 1;
        this.#observe?.(method, (performance.now() - started) / 1000);
      };
      const result = Promise.resolve().then(() => handler(payload, peer));
      result.then(settled, settled);
      return result;
    };
    this.#handlers.set(method, counted);
    for (const peer of this.#peers()) install(peer, method, counted);
    return () => {
      if (this.#handlers.get(method) !== counted) return;
      this.#handlers.delete(method);
      for (const peer of this.#peers()) peer.handlers.get(method)?.();
    };
  }

  /** Install every registered handler on a new peer. */
  installAll(peer: AnyPeer): void {
    for (const [method, handler] of this.#handlers) install(peer, method, handler);
  }
}

function install(peer: AnyPeer, method: string, handler: AnyRequestHandler<AnyPeer>): void {
  peer.handlers.get(method)?.();
  peer.handlers.set(method, peer.conversation.handle(method, handler as never));
}


/**
 * The server's request handlers (`server.handle`), installed on every peer's conversation: on
 * the peers connected when a handler is registered and on every peer that connects later.
 * Each call is counted on its peer while it runs, so a handler that never settles shows in
 * `stats().pendingHandlers` until its peer leaves, and is then forgotten with it.
 */
import type { Peer } from './peer.js';
import type { AnyRequestHandler } from '../src/conversation.js';

type AnyPeer = Peer<never>;

/** Handlers by method name, shared by all peers of one server. */
export class RequestHandlers {
  readonly #handlers = new Map<string, AnyRequestHandler<AnyPeer>>();
  readonly #peers: () => Iterable<AnyPeer>;

  /** `peers` lists the connected peers (handlers are installed on them at once). */
  constructor(peers: () => Iterable<AnyPeer>) {
    this.#peers = peers;
  }

  /** Register `handler` for `method` (replacing any previous one); returns the disposer. */
  register(method: string, handler: (payload: unknown, peer: AnyPeer) => unknown): () => void {
    const counted: AnyRequestHandler<AnyPeer> = (payload, peer) => {
      peer.inflight += 1;
      const settled = (): void => void (peer.inflight -= 1);
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

/**
 * One shape for "a real envelope-v1 server on 127.0.0.1" so the client's loopback tests run the
 * same behaviours against two servers: the `ws`-based stand-in (an independent RFC 6455 peer,
 * test/helpers/ws-envelope-server.ts) and Tandem's own `createServer`
 * (test/helpers/tandem-loopback-server.ts).
 */
import type { ContractDefinition } from '../../src/validate.js';
import { startEnvelopeServer } from './ws-envelope-server.js';
import type { TestPeer } from './ws-envelope-server.js';

/** One welcomed client, seen from the server under test. */
export interface LoopbackPeer {
  /** The `auth` of the client's hello envelope. */
  readonly auth: unknown;
  /** Resolves with the close code the server's end of the connection saw. */
  readonly closed: Promise<number>;
  emit(name: string, payload?: unknown): void;
  request(name: string, payload?: unknown): Promise<unknown>;
  /** Stops reading from the TCP socket: a hung server, heartbeats go unanswered. */
  pause(): void;
  /** Destroys the TCP connection without a close frame. */
  drop(): void;
  /** Sends `data` verbatim as one WebSocket message (only servers from `startRaw`). */
  sendRaw?(data: string | Uint8Array): void;
}

/** What every server under test is started with. */
export interface LoopbackServerOptions {
  /** Listen on this port (restart on the same port). @default 0 */
  readonly port?: number;
  /** Request handlers of the client's requests. */
  readonly handlers?: Readonly<Record<string, (payload: unknown) => unknown>>;
  /** Accept the hello's `auth`? A refusal closes with 4401 "unauthorized". @default accept */
  readonly authorize?: (auth: unknown) => boolean;
  /** Validators of incoming payloads (the servers' `schemas` option). */
  readonly schemas?: ContractDefinition;
  /** Names of the client events to record in `events` (Tandem's peers have no catch-all listener). */
  readonly recordEvents: readonly string[];
}

/** A running server under test. */
export interface LoopbackServer {
  readonly port: number;
  readonly url: string;
  /** Client events received by any peer, in arrival order. */
  readonly events: Array<{ name: string; payload: unknown }>;
  /** How many connections were welcomed so far. */
  readonly connections: number;
  /** Resolves with the `index`-th welcomed peer (0-based), now or when it arrives. */
  peer(index: number): Promise<LoopbackPeer>;
  /** Closes every connection with 1012 "server restarting", then stops listening. */
  restart(): Promise<void>;
  /** Stops at once: connections are terminated, the port is released. */
  close(): Promise<void>;
}

/** How a test suite starts one kind of server. */
export interface ServerFactory {
  readonly name: string;
  start(options: LoopbackServerOptions): Promise<LoopbackServer>;
  /**
   * A server that answers the hello with a welcome and whose peers can `sendRaw` bytes the
   * typed server would never send (malformed envelopes), over this factory's RFC 6455 stack.
   */
  startRaw(): Promise<LoopbackServer>;
}

/** Peers in welcome order, with `peer(index)` waiting for one that has not arrived yet. */
export class PeerList<P> {
  readonly #peers: P[] = [];
  readonly #waiters: Array<{ index: number; resolve: (peer: P) => void }> = [];

  get length(): number {
    return this.#peers.length;
  }

  add(peer: P): void {
    this.#peers.push(peer);
    const index = this.#peers.length - 1;
    for (const waiter of this.#waiters.filter((w) => w.index === index)) waiter.resolve(peer);
  }

  at(index: number): Promise<P> {
    const existing = this.#peers[index];
    return existing !== undefined ? Promise.resolve(existing) : new Promise((resolve) => this.#waiters.push({ index, resolve }));
  }

  all(): readonly P[] {
    return this.#peers;
  }
}

function fromTestPeer(peer: TestPeer): LoopbackPeer {
  const closed = new Promise<number>((resolve) => peer.ws.once('close', (code: number) => resolve(code)));
  return {
    get auth() {
      return peer.hello?.auth;
    },
    closed,
    emit: (name, payload) => peer.emit(name, payload),
    request: (name, payload) => peer.request(name, payload),
    pause: () => peer.pause(),
    drop: () => peer.drop(),
    sendRaw: (data) => peer.sendRaw(data),
  };
}

/** The `ws`-based stand-in: an RFC 6455 stack independent of Tandem's, the same src/ envelope layer. */
export const wsStandIn: ServerFactory = {
  name: 'ws stand-in server',
  async start(options) {
    const peers = new PeerList<LoopbackPeer>();
    const s = await startEnvelopeServer({
      ...(options.port !== undefined ? { port: options.port } : {}),
      ...(options.handlers !== undefined ? { handlers: options.handlers } : {}),
      ...(options.schemas !== undefined ? { schemas: options.schemas } : {}),
      ...(options.authorize !== undefined ? { authorize: (auth: unknown) => ((options.authorize as (a: unknown) => boolean)(auth) ? true : 4401) } : {}),
      onPeer: (peer) => peers.add(fromTestPeer(peer)),
    });
    return {
      port: s.port,
      url: s.url,
      events: s.events,
      get connections() {
        return peers.length;
      },
      peer: (index) => peers.at(index),
      restart: async () => {
        const open = s.peers.filter((p) => p.ws.readyState === p.ws.OPEN);
        const closing = open.map((p) => new Promise<void>((resolve) => p.ws.once('close', () => resolve())));
        for (const p of open) p.ws.close(1012, 'server restarting');
        await Promise.all(closing);
        await s.close();
      },
      close: () => s.close(),
    };
  },
  startRaw() {
    return this.start({ recordEvents: [] });
  },
};

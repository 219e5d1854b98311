/**
 * Test-only Tandem server: the `ws` package's WebSocketServer (an independent RFC 6455 peer) on
 * 127.0.0.1, speaking envelope v1 through the same src/ pieces the real server uses (codec,
 * Conversation, heartbeat responder, pending requests). Lets the client be tested end to end
 * before, and independently of, Tandem's own server.
 */
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';
import type { WebSocket } from 'ws';
import { Conversation } from '../../src/conversation.js';
import { welcomeEnvelope } from '../../src/envelope.js';
import type { Envelope, HelloEnvelope } from '../../src/envelope.js';
import type { RequestOptions } from '../../src/requests.js';
import type { ContractDefinition } from '../../src/validate.js';

/** One connected client, seen from the test server. */
export interface TestPeer {
  readonly ws: WebSocket;
  readonly conversation: Conversation<TestPeer>;
  hello: HelloEnvelope | undefined;
  /** Every envelope this peer received after decoding (pings included). */
  readonly received: Envelope[];
  /** Every raw message this peer received. */
  readonly raw: Array<string | Uint8Array>;
  emit(name: string, payload?: unknown): void;
  request(name: string, payload?: unknown, options?: RequestOptions): Promise<unknown>;
  sendRaw(data: string | Uint8Array): void;
  /** Stops reading from the TCP socket (a server that hangs: pings go unanswered). */
  pause(): void;
  /** Destroys the TCP connection without a close frame. */
  drop(): void;
}

/** Options of {@link startEnvelopeServer}. */
export interface EnvelopeServerOptions {
  /** Listen on this port (to restart on the same port). @default 0 */
  port?: number;
  /** Accept the hello? Returning a number closes with that code instead. @default accept */
  authorize?: (auth: unknown) => true | number | Promise<true | number>;
  /** Request handlers installed on every peer. */
  handlers?: Record<string, (payload: unknown, peer: TestPeer) => unknown>;
  /** Called for each peer once it is welcomed. */
  onPeer?: (peer: TestPeer) => void;
  /** Answer pings? (false: a server that never answers heartbeats) @default true */
  answerPings?: boolean;
  /** Validators of incoming payloads, as the real server's `schemas` option. @default none */
  schemas?: ContractDefinition;
}

/** A running test server. */
export interface EnvelopeServer {
  readonly port: number;
  readonly url: string;
  readonly peers: TestPeer[];
  /** Every event received by any peer, in order. */
  readonly events: Array<{ name: string; payload: unknown }>;
  /** Errors reported by the peers' conversations (non-fatal and fatal). */
  readonly errors: unknown[];
  /** Resolves with the next peer to be welcomed (or the latest one if `index` exists already). */
  peer(index: number): Promise<TestPeer>;
  close(): Promise<void>;
}

/** Starts the stand-in on 127.0.0.1 (port 0 unless `options.port`); resolves once it listens. */
export async function startEnvelopeServer(options: EnvelopeServerOptions = {}): Promise<EnvelopeServer> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: options.port ?? 0 });
  await new Promise<void>((resolve, reject) => {
    wss.once('listening', resolve);
    wss.once('error', reject);
  });
  const port = (wss.address() as AddressInfo).port;
  const peers: TestPeer[] = [];
  const events: Array<{ name: string; payload: unknown }> = [];
  const errors: unknown[] = [];
  const waiters: Array<{ index: number; resolve: (peer: TestPeer) => void }> = [];

  wss.on('connection', (ws) => {
    const send = (envelope: Envelope): void => {
      if (ws.readyState === ws.OPEN) ws.send(peer.conversation.codec.encode(envelope));
    };
    const peer: TestPeer = {
      ws,
      hello: undefined,
      received: [],
      raw: [],
      conversation: undefined as unknown as Conversation<TestPeer>,
      emit: (name, payload) => send(payload === undefined ? { v: 1, type: 'event', name } : { v: 1, type: 'event', name, payload }),
      request: (name, payload, requestOptions) => {
        const { envelope, promise } = peer.conversation.requests.create(name, payload, requestOptions);
        if (envelope === undefined) return promise; // the signal was already aborted: nothing to send
        send(envelope);
        peer.conversation.requests.markSent(envelope.id);
        return promise;
      },
      sendRaw: (data) => ws.send(data),
      pause: () => (ws as unknown as { _socket: { pause(): void } })._socket.pause(),
      drop: () => (ws as unknown as { _socket: { destroy(): void } })._socket.destroy(),
    };
    (peer as { conversation: Conversation<TestPeer> }).conversation = new Conversation<TestPeer>({
      side: 'server',
      context: peer,
      schemas: options.schemas,
      transmit: (envelope) => {
        if (envelope.type === 'pong' && options.answerPings === false) return;
        send(envelope);
      },
      onEvent: (name, payload) => events.push({ name, payload }),
      onError: (error) => errors.push(error),
    });
    for (const [name, handler] of Object.entries(options.handlers ?? {})) peer.conversation.handle(name, handler);
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      const message = isBinary ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength) : data.toString('utf8');
      peer.raw.push(message);
      const outcome = peer.conversation.receive(message);
      if (outcome.kind === 'fatal') {
        errors.push(outcome.error);
        ws.close(outcome.error.closeCode, outcome.error.code);
        return;
      }
      peer.received.push(outcome.envelope);
      if (outcome.kind === 'handshake') void welcome(peer, outcome.envelope as HelloEnvelope);
    });
    ws.on('close', () => peer.conversation.requests.rejectAll());
  });

  async function welcome(peer: TestPeer, hello: HelloEnvelope): Promise<void> {
    peer.hello = hello;
    const verdict = options.authorize ? await options.authorize(hello.auth) : true;
    if (verdict !== true) {
      peer.ws.close(verdict, 'unauthorized');
      return;
    }
    peer.conversation.ready();
    peer.ws.send(peer.conversation.codec.encode(welcomeEnvelope()));
    peers.push(peer);
    options.onPeer?.(peer);
    for (const waiter of waiters.filter((w) => w.index === peers.length - 1)) waiter.resolve(peer);
  }

  return {
    port,
    url: `ws://127.0.0.1:${port}`,
    peers,
    events,
    errors,
    peer: (index) => {
      const existing = peers[index];
      return existing ? Promise.resolve(existing) : new Promise((resolve) => waiters.push({ index, resolve }));
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const client of wss.clients) client.terminate();
        wss.close(() => resolve());
      }),
  };
}

/**
 * Tandem's own servers behind the {@link ServerFactory} shape of test/helpers/loopback-server.ts:
 * `createServer` attached to a plain `http.Server` on 127.0.0.1 (so the test can reach each
 * connection's TCP socket through the `'upgrade'` event, without touching server/ code), and,
 * for malformed envelopes the typed server never sends, the low-level `WebSocketServer`.
 */
import { createServer as createHttpServer } from 'node:http';
import type { IncomingMessage, Server as HttpServer } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { AuthenticationError, createServer } from '../../server/index.js';
import type { Peer, TandemServer } from '../../server/index.js';
import { WebSocketServer } from '../../server/socket/websocket-server.js';
import type { ServerConnection } from '../../server/socket/server-connection.js';
import { jsonCodec } from '../../src/codec.js';
import { welcomeEnvelope } from '../../src/envelope.js';
import { PeerList } from './loopback-server.js';
import type { LoopbackPeer, LoopbackServer, ServerFactory } from './loopback-server.js';

/** A contract loose enough for any test's event and request names. */
type Loose = {
  client: { events: Record<string, unknown>; requests: Record<string, { request: unknown; response: unknown }> };
  server: { events: Record<string, unknown>; requests: Record<string, { request: unknown; response: unknown }> };
};

/** An http server on 127.0.0.1 that remembers every upgraded TCP socket by its Sec-WebSocket-Key. */
async function listenHttp(port: number): Promise<{ http: HttpServer; port: number; socketOf: (key: string) => Socket }> {
  const http = createHttpServer();
  const sockets = new Map<string, Socket>();
  http.on('upgrade', (req: IncomingMessage, socket: Duplex) => {
    const key = req.headers['sec-websocket-key'];
    if (typeof key === 'string') sockets.set(key, socket as Socket);
  });
  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(port, '127.0.0.1', () => resolve());
  });
  const socketOf = (key: string): Socket => {
    const socket = sockets.get(key);
    if (socket === undefined) throw new Error(`no upgraded socket for key ${key}`);
    return socket;
  };
  return { http, port: (http.address() as AddressInfo).port, socketOf };
}

function stopHttp(http: HttpServer, socketOf: () => Iterable<Socket>): Promise<void> {
  return new Promise<void>((resolve) => {
    http.close(() => resolve());
    // Whatever is left (a paused peer mid-handshake) must not hold the port.
    for (const socket of socketOf()) socket.destroy();
    http.closeAllConnections();
  });
}

function keyOf(headers: Readonly<Record<string, string | string[] | undefined>>): string {
  return String(headers['sec-websocket-key']);
}

/** Tandem's typed server (`createServer`) attached to a test-owned http server. */
export const tandemServer: ServerFactory = {
  name: "Tandem's createServer",
  async start(options) {
    const { http, port, socketOf } = await listenHttp(options.port ?? 0);
    const authorize = options.authorize;
    const server: TandemServer<Loose> = createServer<Loose>({
      server: http,
      ...(options.schemas !== undefined ? { schemas: options.schemas as never } : {}),
      ...(authorize !== undefined
        ? {
            authenticateHello: (auth: unknown) => {
              // 401 → close 4401, a code after which the client does not come back.
              if (!authorize(auth)) throw new AuthenticationError(401, 'unauthorized');
              return undefined;
            },
          }
        : {}),
    });
    for (const [name, handler] of Object.entries(options.handlers ?? {})) server.handle(name, (payload) => handler(payload));
    const events: Array<{ name: string; payload: unknown }> = [];
    const peers = new PeerList<LoopbackPeer>();
    const sockets: Socket[] = [];
    server.on('connection', (peer: Peer<Loose>) => {
      for (const name of options.recordEvents) peer.on(name, (payload) => events.push({ name, payload }));
      const socket = socketOf(keyOf(peer.handshake.headers));
      sockets.push(socket);
      const closed = new Promise<number>((resolve) => peer.lifecycle.on('disconnect', (_reason, code) => resolve(code)));
      peers.add({
        auth: peer.auth,
        closed,
        emit: (name, payload) => void peer.emit(name, payload),
        request: (name, payload) => peer.request(name, payload),
        pause: () => socket.pause(),
        drop: () => socket.destroy(),
      });
    });
    const stop = async (restart: boolean): Promise<void> => {
      // A paused peer never answers our close frame: a short timeout, then it is terminated.
      await server.close({ restart, timeout: restart ? 2000 : 50 });
      await stopHttp(http, () => sockets);
    };
    return {
      port,
      url: `ws://127.0.0.1:${port}`,
      events,
      get connections() {
        return peers.length;
      },
      peer: (index) => peers.at(index),
      restart: () => stop(true),
      close: () => stop(false),
    };
  },

  async startRaw() {
    const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
    await new Promise<void>((resolve) => wss.once('listening', () => resolve()));
    const port = (wss.address() as AddressInfo).port;
    const peers = new PeerList<LoopbackPeer>();
    wss.on('connection', (ws: ServerConnection) => {
      const closed = new Promise<number>((resolve) => ws.on('close', (code) => resolve(code)));
      // The only envelope the client needs before trusting the link: a welcome after its hello.
      ws.once('message', () => {
        ws.send(jsonCodec.encode(welcomeEnvelope()) as string);
        peers.add({
          auth: undefined,
          closed,
          emit: () => undefined,
          request: () => Promise.reject(new Error('a raw server makes no requests')),
          pause: () => undefined,
          drop: () => ws.terminate(),
          sendRaw: (data) => ws.send(data),
        });
      });
    });
    return {
      port,
      url: `ws://127.0.0.1:${port}`,
      events: [],
      get connections() {
        return peers.length;
      },
      peer: (index) => peers.at(index),
      restart: () => Promise.reject(new Error('not used with a raw server')),
      close: () =>
        new Promise<void>((resolve) => {
          for (const client of wss.clients) client.terminate();
          wss.close(() => resolve());
        }),
    };
  },
};

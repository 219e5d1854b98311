/**
 * Fixtures for the proxy tests: proxies, raw TCP targets and `ws` clients on 127.0.0.1 port 0,
 * each closed by {@link closeAll} (call it in afterEach).
 */
import { createServer, connect } from 'node:net';
import type { AddressInfo, Server, Socket } from 'node:net';
import WebSocket from 'ws';
import { createProxy } from '../../../../server/tools/proxy/proxy.js';
import type { FaultProxy } from '../../../../server/tools/proxy/proxy.js';
import type { ProxyOptions } from '../../../../server/tools/proxy/options.js';
import { stopAll } from '../../../helpers/servers.js';

const proxies = new Set<FaultProxy>();
const servers = new Set<Server>();
const sockets = new Set<Socket | WebSocket>();

/** A proxy in front of `127.0.0.1:<targetPort>`. */
export async function proxyTo(targetPort: number, options: Omit<ProxyOptions, 'target'> = {}): Promise<FaultProxy> {
  const proxy = await createProxy({ ...options, target: `127.0.0.1:${targetPort}` });
  proxies.add(proxy);
  return proxy;
}

/** A raw TCP server: `accepted(n)` resolves with its n-th accepted socket (from 0). */
export async function tcpServer(onSocket: (socket: Socket) => void = () => {}): Promise<{ port: number; accepted(n: number): Promise<Socket> }> {
  const server = createServer();
  servers.add(server);
  const waiting = new Map<number, (socket: Socket) => void>();
  const got: Socket[] = [];
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('error', () => {});
    onSocket(socket);
    got.push(socket);
    waiting.get(got.length - 1)?.(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const accepted = (n: number): Promise<Socket> =>
    got[n] !== undefined ? Promise.resolve(got[n]) : new Promise((resolve) => waiting.set(n, resolve));
  return { port: (server.address() as AddressInfo).port, accepted };
}

/** Resolves with the arguments of `emitter`'s next `event`. */
export function nextEvent<A extends unknown[]>(emitter: { once(event: never, listener: never): unknown }, event: string): Promise<A> {
  // Typed loosely on purpose: the emitters here (net, ws, eventemitter3) all declare `once` differently.
  const once = emitter.once.bind(emitter) as unknown as (event: string, listener: (...args: A) => void) => unknown;
  return new Promise((resolve) => once(event, (...args: A) => resolve(args)));
}

/** A port nothing listens on (it was free a moment ago): connecting to it is refused. */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** A raw TCP client connected to `port`. */
export function tcpConnect(port: number): Promise<Socket> {
  const socket = connect(port, '127.0.0.1');
  sockets.add(socket);
  socket.on('error', () => {});
  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve(socket));
    socket.once('error', reject);
  });
}

/** Collects everything `socket` receives until it closes; resolves with the bytes and the close error. */
export function collect(socket: Socket): Promise<{ data: Buffer; error: NodeJS.ErrnoException | undefined }> {
  const chunks: Buffer[] = [];
  let error: NodeJS.ErrnoException | undefined;
  socket.on('data', (chunk: Buffer) => chunks.push(chunk));
  socket.on('error', (err) => (error ??= err));
  return new Promise((resolve) => socket.once('close', () => resolve({ data: Buffer.concat(chunks), error })));
}

/** A `ws` client through `port`, resolved once open. */
export function wsOpen(port: number): Promise<WebSocket> {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/`, { perMessageDeflate: false });
  sockets.add(ws);
  ws.on('error', () => {});
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(ws));
    ws.once('close', (code) => reject(new Error(`closed with ${code} before open`)));
  });
}

/** Resolves with `ws`'s close code and reason. */
export function wsClosed(ws: WebSocket): Promise<{ code: number; reason: string }> {
  return new Promise((resolve) => ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })));
}

/** The next message `ws` receives. */
export function wsMessage(ws: WebSocket): Promise<{ data: Buffer; isBinary: boolean }> {
  return new Promise((resolve) => ws.once('message', (data, isBinary) => resolve({ data: data as Buffer, isBinary })));
}

/** Resolves after `ms`. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Closes every proxy, raw server and socket from this module, and the WebSocketServers of test/helpers/servers. */
export async function closeAll(): Promise<void> {
  for (const socket of sockets) {
    if (socket instanceof WebSocket) socket.terminate();
    else socket.destroy();
  }
  sockets.clear();
  const closing = [...proxies].map((proxy) => proxy.close());
  proxies.clear();
  for (const server of servers) closing.push(new Promise<void>((resolve) => server.close(() => resolve())));
  servers.clear();
  await Promise.all([...closing, stopAll()]);
}

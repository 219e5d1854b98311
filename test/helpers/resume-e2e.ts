/**
 * Session resume end to end: the project's client (on `ws`'s WebSocket) → the fault-injection
 * proxy (server/tools/proxy) → the typed server, all on loopback. Records what each end
 * delivered, so tests can count lost, duplicated and reordered messages exactly.
 */
import type { AddressInfo } from 'node:net';
import { WebSocket as WsWebSocket } from 'ws';
import { createClient } from '../../client/index.js';
import type { ClientOptions, ClientState, CloseInfo, OpenInfo, TandemClient, WebSocketConstructor } from '../../client/index.js';
import { createServer } from '../../server/typed/server.js';
import type { TandemServer } from '../../server/typed/server.js';
import type { ServerOptions } from '../../server/typed/server-options.js';
import type { Peer } from '../../server/typed/peer.js';
import { createProxy } from '../../server/tools/proxy/index.js';
import type { FaultProxy, ProxyOptions } from '../../server/tools/proxy/index.js';

/** Ticks down (events, broadcast to a room), tocks up (events), requests both ways. */
export type E2eApi = {
  client: { events: { tock: number }; requests: { add: { request: [number, number]; response: number } } };
  server: { events: { tick: number }; requests: { double: { request: number; response: number } } };
};

export type E2eServer = TandemServer<E2eApi>;
export type E2ePeer = Peer<E2eApi>;

const cleanups: Array<() => Promise<void> | void> = [];

/** Closes every client, proxy and server started here (in reverse order). */
export async function closeE2e(): Promise<void> {
  for (const task of cleanups.splice(0).reverse()) await task();
}

/** A typed server on 127.0.0.1 that joins every peer to `room`, records tocks per peer, and adds. */
export async function startE2eServer(options: Omit<ServerOptions<E2eApi>, 'host'> = {}): Promise<{ server: E2eServer; port: number; tocks: Map<E2ePeer, number[]>; errors: unknown[] }> {
  const server = createServer<E2eApi>({ port: 0, host: '127.0.0.1', heartbeat: false, logger: false, ...options });
  cleanups.push(() => server.close({ timeout: 200 }));
  const tocks = new Map<E2ePeer, number[]>();
  const errors: unknown[] = [];
  server.on('error', (err) => void errors.push(err));
  server.on('connection', (peer) => {
    const got: number[] = [];
    tocks.set(peer, got);
    peer.join('room');
    peer.on('tock', (n) => void got.push(n));
  });
  server.handle('add', ([a, b]) => a + b);
  await new Promise<void>((resolve) => server.once('listening', resolve));
  return { server, port: (server.address() as AddressInfo).port, tocks, errors };
}

/** The fault proxy in front of `port`. */
export async function startProxy(port: number, options: Omit<ProxyOptions, 'target'> = {}): Promise<FaultProxy> {
  const proxy = await createProxy({ target: { host: '127.0.0.1', port }, ...options });
  proxy.on('error', () => undefined);
  cleanups.push(() => proxy.close());
  return proxy;
}

/** A client and what its lifecycle and handlers saw. */
export interface RecordedE2eClient {
  readonly client: TandemClient<E2eApi>;
  readonly ticks: number[];
  readonly states: ClientState[];
  readonly opens: OpenInfo[];
  readonly closes: CloseInfo[];
  readonly errors: unknown[];
  /** Server requests the client's `double` handler answered, in order. */
  readonly doubled: number[];
}

/** The project's client on `ws`, to `ws://127.0.0.1:port/`, recorded. */
export function startE2eClient(port: number, options: ClientOptions<E2eApi> = {}): RecordedE2eClient {
  const client = createClient<E2eApi>(`ws://127.0.0.1:${port}/`, {
    WebSocket: WsWebSocket as unknown as WebSocketConstructor,
    network: null,
    reconnect: { minDelay: 10, maxDelay: 40 },
    ...options,
  });
  cleanups.push(() => {
    if (client.state !== 'closed') client.close();
  });
  const recorded: RecordedE2eClient = { client, ticks: [], states: [], opens: [], closes: [], errors: [], doubled: [] };
  client.lifecycle.on('state', (s) => recorded.states.push(s));
  client.lifecycle.on('open', (info) => recorded.opens.push(info));
  client.lifecycle.on('close', (info) => recorded.closes.push(info));
  client.lifecycle.on('error', (e) => recorded.errors.push(e));
  client.on('tick', (n) => recorded.ticks.push(n));
  client.handle('double', (n) => {
    recorded.doubled.push(n);
    return 2 * n;
  });
  return recorded;
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `check` every 5 ms, bounded. */
export async function until(check: () => boolean, ms = 5000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`${what} not met within ${ms} ms`);
    await sleep(5);
  }
}

/** 1, 2, … n. */
export const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i + 1);

/** A fixed linear congruential generator: the same "random" cut times on every run. */
export function lcg(seed: number): () => number {
  let state = seed;
  return () => (state = (state * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
}

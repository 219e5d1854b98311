/**
 * Test harness for the typed server: a server on 127.0.0.1 port 0, the project's own client
 * (with `ws` as its WebSocket), and raw `ws` sockets for feeding bad input. Everything started
 * here is closed by `closeAll()` (call it in afterEach).
 */
import type { AddressInfo } from 'node:net';
import WebSocket from 'ws';
import { createServer, type TandemServer } from '../../../server/typed/server.js';
import type { ServerOptions } from '../../../server/typed/server-options.js';
import { createClient, type TandemClient } from '../../../client/client.js';
import type { ClientOptions } from '../../../client/options.js';
import type { ContractShape } from '../../../src/contract.js';
import type { WebSocketConstructor } from '../../../client/transport.js';

const open: Array<() => Promise<void> | void> = [];

/** Start a typed server on a free loopback port. */
export async function startServer<C, I = unknown, D extends object = Record<string, unknown>>(
  options: Omit<ServerOptions<C, I, D>, 'port' | 'host' | 'server' | 'noServer'> = {},
): Promise<{ server: TandemServer<C, I, D>; url: string; port: number }> {
  const server = createServer<C, I, D>({ port: 0, host: '127.0.0.1', ...options });
  open.push(() => server.close({ timeout: 500 }));
  await new Promise<void>((resolve) => server.once('listening', resolve));
  const port = (server.address() as AddressInfo).port;
  return { server, url: `ws://127.0.0.1:${port}`, port };
}

/** The project's client over `ws`, waiting until it is open. */
export async function connectClient<C extends ContractShape>(
  url: string,
  options: ClientOptions<C> = {},
): Promise<TandemClient<C>> {
  const client = createClient<C>(url, {
    WebSocket: WebSocket as unknown as WebSocketConstructor,
    network: null,
    reconnect: false,
    ...options,
  });
  open.push(() => {
    if (client.state !== 'closed') client.close();
  });
  if (client.state !== 'open') {
    await new Promise<void>((resolve, reject) => {
      client.lifecycle.once('open', () => resolve());
      client.lifecycle.once('close', (info) => reject(new Error(`closed ${info.code} ${info.reason}`)));
    });
  }
  return client;
}

/** A raw `ws` socket that sends `hello` (the hello envelope by default; `null` for none) and awaits the welcome. */
export async function rawSocket(url: string, hello: unknown = { v: 1, type: 'hello' }): Promise<RawSocket> {
  // `null`: connect without sending a hello.
  const ws = new WebSocket(url);
  open.push(() => ws.terminate());
  const raw = new RawSocket(ws);
  await new Promise<void>((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  if (hello !== null) {
    ws.send(JSON.stringify(hello));
    await raw.next(); // the welcome
  }
  return raw;
}

/** A ws socket that records what arrives. */
export class RawSocket {
  readonly messages: Array<{ data: string | Buffer; isBinary: boolean }> = [];
  readonly closed: Promise<{ code: number; reason: string }>;
  #waiters: Array<() => void> = [];

  constructor(readonly ws: WebSocket) {
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      this.messages.push({ data: isBinary ? data : data.toString('utf8'), isBinary });
      for (const wake of this.#waiters.splice(0)) wake();
    });
    this.closed = new Promise((resolve) => ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })));
  }

  /** The next message (text parsed as JSON), waiting for it if needed. */
  async next(): Promise<unknown> {
    while (this.messages.length === 0) await new Promise<void>((resolve) => this.#waiters.push(resolve));
    const { data, isBinary } = this.messages.shift()!;
    return isBinary ? data : JSON.parse(data as string);
  }

  send(value: unknown): void {
    this.ws.send(typeof value === 'string' || Buffer.isBuffer(value) ? value : JSON.stringify(value));
  }
}

/** Close everything the harness started (servers last). */
export async function closeAll(): Promise<void> {
  const tasks = open.splice(0).reverse();
  for (const task of tasks) await task();
}

export { until } from '../../helpers/wait.js';

/**
 * Multi-process cluster fixtures: node processes (fixture-server.mjs, from dist/) against a real
 * redis-server, and Tandem clients (over `ws`) that record every tick they receive, so that a
 * test can count lost and duplicated deliveries. Everything started here is stopped by
 * `stopCluster()` (processes by PID).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';
import { createClient, type TandemClient } from '../../client/client.js';
import type { WebSocketConstructor } from '../../client/transport.js';

const FIXTURE = fileURLToPath(new URL('./fixture-server.mjs', import.meta.url));
const START_TIMEOUT_MS = 15_000;

// The fixture is untyped: events and requests are checked by the tests' own assertions.
type Loose = {
  client: { events: Record<string, unknown>; requests: Record<string, { request: any; response: any }> };
  server: { events: Record<string, any>; requests: Record<string, { request: any; response: any }> };
};
/** A client of a fixture node. */
export type LooseClient = TandemClient<Loose>;

const nodes = new Set<ClusterNode>();
const clients = new Set<LooseClient>();

/** A fixture node process. */
export interface ClusterNode {
  readonly port: number;
  readonly nodeId: string;
  readonly pid: number;
  readonly url: string;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** What it wrote to stderr (an unhandled rejection shows up here). */
  stderr(): string;
  /** SIGKILL, no goodbye. */
  kill(): Promise<void>;
  /** SIGTERM: graceful close. */
  stop(): Promise<void>;
}

/** Start a node; options are the fixture's heartbeat interval/timeout and maxQueued. */
export function startNode(redisUrl: string, prefix: string, options: { interval?: number; timeout?: number; maxQueued?: number } = {}): Promise<ClusterNode> {
  const args = [FIXTURE, redisUrl, prefix, String(options.interval ?? 300), String(options.timeout ?? 1200), String(options.maxQueued ?? 10_000)];
  const child: ChildProcess = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  return new Promise((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => fail(new Error(`node: no "listening" within ${START_TIMEOUT_MS} ms: ${stderr}`)), START_TIMEOUT_MS);
    const fail = (err: Error) => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(err);
    };
    void exited.then(({ code, signal }) => fail(new Error(`node exited before listening (${code ?? signal}): ${stderr}`)));
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const match = /^listening (\d+) (\S+)$/m.exec(output);
      if (!match) return;
      clearTimeout(timer);
      const port = Number(match[1]);
      const node: ClusterNode = {
        port,
        nodeId: match[2]!,
        pid: child.pid!,
        url: `ws://127.0.0.1:${port}`,
        exited,
        stderr: () => stderr,
        kill: async () => {
          nodes.delete(node);
          if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
          await exited;
        },
        stop: async () => {
          nodes.delete(node);
          if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
          await exited;
        },
      };
      nodes.add(node);
      resolve(node);
    });
  });
}

/** A client that records ticks as `${from}:${i}` (in arrival order) and direct messages. */
export interface RecordingClient {
  readonly client: LooseClient;
  readonly ticks: string[];
  readonly directs: number[];
  readonly id: string;
}

/** Connect to `node` as `name`, in `rooms`; resolves once open, with the peer id. */
export async function connect(node: ClusterNode, name: string, rooms: string[] = []): Promise<RecordingClient> {
  const client = createClient<Loose>(node.url, {
    WebSocket: WebSocket as unknown as WebSocketConstructor,
    network: null,
    reconnect: false,
    auth: () => ({ name, rooms }),
  });
  clients.add(client);
  const ticks: string[] = [];
  const directs: number[] = [];
  client.on('tick', (t: { from: string; i: number }) => void ticks.push(`${t.from}:${t.i}`));
  client.on('direct', (d: { n: number }) => void directs.push(d.n));
  await new Promise<void>((resolve, reject) => {
    client.lifecycle.once('open', () => resolve());
    client.lifecycle.once('close', (info) => reject(new Error(`closed ${info.code} ${info.reason}`)));
  });
  const { id } = (await client.request('whoami', undefined)) as { id: string };
  return { client, ticks, directs, id };
}

/** A client that follows its session across nodes (docs/cluster.md "Resume across nodes"). */
export interface RoamingClient extends RecordingClient {
  /** Every `open` after the first: did the session resume? */
  readonly reopens: Array<{ resumed: boolean; reason?: string | undefined }>;
  /** When each of those opens happened (Date.now()). */
  readonly reopenedAt: number[];
  /** `noted` echoes seen (watchers): `${from}:${i}`. */
  readonly noted: string[];
}

/**
 * Connect to `nodes[home]`, reconnecting (quickly) to the next node in the list after a drop; a
 * node that is gone refuses the connection and the client moves on to the next one.
 */
export async function connectRoaming(nodes: readonly ClusterNode[], home: number, name: string, rooms: string[] = []): Promise<RoamingClient> {
  let attempt = 0;
  const client = createClient<Loose>(() => nodes[(home + attempt++) % nodes.length]!.url, {
    WebSocket: WebSocket as unknown as WebSocketConstructor,
    network: null,
    reconnect: { minDelay: 20, maxDelay: 100 },
    auth: () => ({ name, rooms }),
  });
  clients.add(client);
  // Attempts at the dead node fail (ECONNREFUSED) until the url function moves on: expected.
  client.lifecycle.on('error', () => undefined);
  const ticks: string[] = [];
  const directs: number[] = [];
  const noted: string[] = [];
  const reopens: Array<{ resumed: boolean; reason?: string | undefined }> = [];
  const reopenedAt: number[] = [];
  client.on('tick', (t: { from: string; i: number }) => void ticks.push(`${t.from}:${t.i}`));
  client.on('direct', (d: { n: number }) => void directs.push(d.n));
  client.on('noted', (t: { from: string; i: number }) => void noted.push(`${t.from}:${t.i}`));
  await new Promise<void>((resolve, reject) => {
    client.lifecycle.once('open', () => resolve());
    client.lifecycle.once('close', (info) => reject(new Error(`closed ${info.code} ${info.reason}`)));
  });
  client.lifecycle.on('open', (info) => {
    reopens.push({ resumed: info.resumed, reason: info.reason });
    reopenedAt.push(Date.now());
  });
  const { id } = (await client.request('whoami', undefined)) as { id: string };
  return { client, ticks, directs, id, reopens, reopenedAt, noted };
}

/** Lost and duplicated among `got`, against every `${from}:${i}` for i < count per sender. */
export function tally(got: readonly string[], senders: readonly string[], count: number): { lost: number; duplicated: number; foreign: number } {
  const seen = new Map<string, number>();
  for (const key of got) seen.set(key, (seen.get(key) ?? 0) + 1);
  let lost = 0;
  let duplicated = 0;
  let expected = 0;
  for (const from of senders) {
    for (let i = 0; i < count; i++) {
      expected += 1;
      const times = seen.get(`${from}:${i}`) ?? 0;
      if (times === 0) lost += 1;
      else duplicated += times - 1;
    }
  }
  let known = 0;
  for (const times of seen.values()) known += times;
  return { lost, duplicated, foreign: known - (expected - lost) - duplicated };
}

/** Close every client and stop every node (SIGKILL: nothing to wait for in teardown). */
export async function stopCluster(): Promise<void> {
  for (const client of clients) if (client.state !== 'closed') client.close();
  clients.clear();
  await Promise.all([...nodes].map((node) => node.kill()));
}

/**
 * Session resume seen from the wire: a typed server with a contract for resume tests, and a
 * resuming client written on a raw TCP socket, independently of the project's client, so a test
 * sends any hello it likes (a stolen sid, an ack ahead of what was sent, the same hello twice)
 * and sees every envelope, seq and close frame exactly. Everything started here is closed by
 * {@link closeResumable}.
 */
import type { AddressInfo } from 'node:net';
import { createServer } from '../../server/typed/server.js';
import type { TandemServer } from '../../server/typed/server.js';
import type { ServerOptions } from '../../server/typed/server-options.js';
import { RawClient, closeCodeOf } from './raw-client.js';
import type { Frame } from './raw-client.js';
import type { Peer } from '../../server/typed/peer.js';
import { expect } from 'vitest';

/** The contract of resume tests: requests both ways, events both ways. */
export interface ResumeApi {
  client: {
    events: { note: { n: number } };
    requests: { echo: { request: unknown; response: unknown }; slow: { request: number; response: number } };
  };
  server: { events: { tick: { n: number } }; requests: { ask: { request: number; response: number } } };
}

export type ResumeServer = TandemServer<ResumeApi>;

/** The shape of a sid the server mints (30 base64url characters). */
export const SID = /^[A-Za-z0-9_-]{30}$/;

const open = new Set<() => Promise<void> | void>();

/** A typed server on 127.0.0.1 port 0 (heartbeat off unless asked) with an `echo` handler. */
export async function startResumable(options: Omit<ServerOptions<ResumeApi>, 'port' | 'host'> = {}): Promise<{ server: ResumeServer; port: number; errors: unknown[] }> {
  const server = createServer<ResumeApi>({ port: 0, host: '127.0.0.1', heartbeat: false, logger: false, ...options });
  open.add(() => server.close({ timeout: 200 }));
  const errors: unknown[] = [];
  server.on('error', (err) => void errors.push(err));
  server.handle('echo', (payload) => payload);
  await new Promise<void>((resolve) => server.once('listening', resolve));
  return { server, port: (server.address() as AddressInfo).port, errors };
}

/** Closes every client and server started here (servers last). */
export async function closeResumable(): Promise<void> {
  const tasks = [...open].reverse();
  open.clear();
  for (const task of tasks) await task();
}

/** What arrived: an envelope (text frame, parsed), or the close frame's code and reason. */
export type Arrival = { envelope: Record<string, unknown> } | { close: number; reason: string };

/** The hello of a resuming client: `sid`/`ack` to resume, `auth` as any hello. */
export interface ResumeHello {
  readonly sid?: string;
  readonly ack?: number;
  readonly auth?: unknown;
  /** `false`: a v1 hello without the resume fields. @default true */
  readonly resume?: boolean;
}

/** A resuming client on a raw socket. */
export class ResumeRaw {
  readonly raw: RawClient;
  /** The last seq this client gave an envelope. */
  sent = 0;
  readonly #cleanup: () => void;

  private constructor(raw: RawClient) {
    this.raw = raw;
    this.#cleanup = () => raw.destroy();
    open.add(this.#cleanup);
  }

  /** Connects and sends the hello; resolves with the client and whatever answered the hello. */
  static async connect(port: number, hello: ResumeHello = {}): Promise<{ client: ResumeRaw; welcome: Arrival }> {
    const raw = await RawClient.connect(port);
    const client = new ResumeRaw(raw);
    const envelope: Record<string, unknown> = { v: 1, type: 'hello' };
    if (hello.auth !== undefined) envelope['auth'] = hello.auth;
    if (hello.resume !== false) envelope['resume'] = true;
    if (hello.sid !== undefined) Object.assign(envelope, { sid: hello.sid, ack: hello.ack ?? 0 });
    client.send(envelope);
    const welcome = await client.next();
    if (welcome === undefined) throw new Error('closed before the welcome');
    return { client, welcome };
  }

  /** Sends a value as a JSON text frame. */
  send(value: unknown): void {
    this.raw.sendFrame(1, JSON.stringify(value));
  }

  /** Sends `envelope` numbered with this client's next seq (and `ack` when given). */
  sendNumbered(envelope: Record<string, unknown>, ack?: number): void {
    this.send({ ...envelope, seq: ++this.sent, ...(ack === undefined ? {} : { ack }) });
  }

  /** The next envelope or close frame (undefined once the connection closed). */
  async next(timeoutMs = 5000): Promise<Arrival | undefined> {
    const frame = await this.raw.next(timeoutMs);
    return frame === undefined ? undefined : arrival(frame);
  }

  /** The next `n` envelopes (throws on a close frame or the end). */
  async envelopes(n: number, timeoutMs = 5000): Promise<Array<Record<string, unknown>>> {
    const got: Array<Record<string, unknown>> = [];
    while (got.length < n) {
      const next = await this.next(timeoutMs);
      if (next === undefined || !('envelope' in next)) throw new Error(`expected an envelope after ${JSON.stringify(got)}, got ${JSON.stringify(next)}`);
      got.push(next.envelope);
    }
    return got;
  }

  /** Cuts the TCP connection without a close frame (a pulled cable, as far as the server knows). */
  cut(): Promise<void> {
    open.delete(this.#cleanup); // nothing left to clean up: the test holds no reference to it
    this.raw.destroy();
    return this.raw.closed;
  }
}

function arrival(frame: Frame): Arrival {
  if (frame.opcode === 8) return { close: closeCodeOf(frame), reason: frame.payload.subarray(2).toString('utf8') };
  if (frame.opcode !== 1) throw new Error(`unexpected frame opcode ${frame.opcode}`);
  return { envelope: JSON.parse(frame.payload.toString('utf8')) as Record<string, unknown> };
}

/** Resolves with the arguments of the next `event` of `server`. */
export function nextEvent(server: ResumeServer, event: 'suspend' | 'resume' | 'disconnect' | 'connection'): Promise<unknown[]> {
  return new Promise((resolve) => (server as unknown as { once(e: string, l: (...args: unknown[]) => void): void }).once(event, (...args) => resolve(args)));
}

/** A resuming client's first connection: the welcome of a new session checked, its peer and sid. */
export async function connectedPeer(server: ResumeServer, port: number, hello: ResumeHello = {}): Promise<{ client: ResumeRaw; peer: Peer<ResumeApi>; sid: string }> {
  const connection = nextEvent(server, 'connection');
  const { client, welcome } = await ResumeRaw.connect(port, hello);
  const [peer] = (await connection) as [Peer<ResumeApi>];
  expect(welcome).toEqual({ envelope: { v: 1, type: 'welcome', sid: expect.stringMatching(SID), resumed: false, ack: 0 } });
  return { client, peer, sid: (welcome as { envelope: { sid: string } }).envelope.sid };
}

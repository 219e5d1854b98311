/**
 * The typed server under attack: a `createServer` on 127.0.0.1 port 0 with an `echo` handler, and
 * an envelope client over a raw TCP socket (so a test can send any bytes, stall its reads, and see
 * the exact close frame). Everything started here is closed by {@link closeTyped}.
 */
import type { AddressInfo } from 'node:net';
import { expect } from 'vitest';
import { createServer } from '../../server/typed/server.js';
import type { TandemServer } from '../../server/typed/server.js';
import type { ServerOptions } from '../../server/typed/server-options.js';
import { RawClient, closeCodeOf } from './raw-client.js';
import type { Frame } from './raw-client.js';

/** The contract of the target: the client may call `echo` and `hang`, and emit `note`. */
export interface HostileApi {
  client: {
    events: { note: unknown };
    requests: { echo: { request: unknown; response: unknown }; hang: { request: unknown; response: never } };
  };
  server: { events: { tick: { n: number; pad: string } } };
}

export type HostileServer = TandemServer<HostileApi>;

const open: Array<() => Promise<void> | void> = [];

/** Starts the typed server (heartbeat off unless asked: liveness is not what these tests measure). */
export async function startTyped(options: Omit<ServerOptions<HostileApi>, 'port' | 'host'> = {}): Promise<{ server: HostileServer; port: number; errors: unknown[] }> {
  const server = createServer<HostileApi>({ port: 0, host: '127.0.0.1', heartbeat: false, ...options });
  open.push(() => server.close({ timeout: 200 }));
  const errors: unknown[] = [];
  server.on('error', (err) => void errors.push(err));
  server.handle('echo', (payload) => payload);
  await new Promise<void>((resolve) => server.once('listening', resolve));
  return { server, port: (server.address() as AddressInfo).port, errors };
}

/** Closes every client and server started here (servers last). */
export async function closeTyped(): Promise<void> {
  for (const task of open.splice(0).reverse()) await task();
}

/** What arrived: an envelope (text frame, parsed), or the close frame's code and reason. */
export type Arrival = { envelope: Record<string, unknown> } | { close: number; reason: string };

/** Envelopes over a raw socket, written and read independently of the project's client. */
export class EnvelopeClient {
  readonly raw: RawClient;

  private constructor(raw: RawClient) {
    this.raw = raw;
  }

  /** Connects; with `hello`, sends it and checks the welcome. */
  static async connect(port: number, hello = true): Promise<EnvelopeClient> {
    const raw = await RawClient.connect(port);
    open.push(() => raw.destroy());
    const client = new EnvelopeClient(raw);
    if (hello) {
      client.send({ v: 1, type: 'hello' });
      expect(await client.next()).toEqual({ envelope: { v: 1, type: 'welcome' } });
    }
    return client;
  }

  /** Sends a value as a JSON text frame, or a string as is. */
  send(value: unknown): void {
    this.raw.sendFrame(1, typeof value === 'string' ? value : JSON.stringify(value));
  }

  /** The next envelope or close frame. */
  async next(timeoutMs = 5000): Promise<Arrival | undefined> {
    const frame = await this.raw.next(timeoutMs);
    return frame === undefined ? undefined : arrival(frame);
  }

  /**
   * Everything up to and including the server's close frame, which is then answered with the
   * same code as a well-behaved client does (RFC 6455 §5.5.1), so the server finishes closing.
   */
  async untilClose(timeoutMs = 5000): Promise<Arrival[]> {
    const seen: Arrival[] = [];
    for (;;) {
      const got = await this.next(timeoutMs);
      if (got === undefined) throw new Error(`closed without a close frame after ${JSON.stringify(seen).slice(0, 200)}`);
      seen.push(got);
      if ('close' in got) {
        this.raw.sendClose(got.close);
        return seen;
      }
    }
  }

  /** A request/response round trip on `echo`, compared exactly. */
  async echo(id: number, payload: unknown): Promise<void> {
    this.send({ v: 1, type: 'request', id, name: 'echo', payload });
    expect(await this.next()).toEqual({ envelope: { v: 1, type: 'response', id, payload } });
  }
}

function arrival(frame: Frame): Arrival {
  if (frame.opcode === 8) return { close: closeCodeOf(frame), reason: frame.payload.subarray(2).toString('utf8') };
  if (frame.opcode !== 1) throw new Error(`unexpected frame opcode ${frame.opcode}`);
  return { envelope: JSON.parse(frame.payload.toString('utf8')) as Record<string, unknown> };
}

/** A healthy typed peer: each check is an `echo` request with fresh contents, answered exactly. */
export class HealthyTypedPeer {
  #round = 0;
  private constructor(readonly client: EnvelopeClient) {}

  static async connect(port: number): Promise<HealthyTypedPeer> {
    const peer = new HealthyTypedPeer(await EnvelopeClient.connect(port));
    await peer.check();
    return peer;
  }

  async check(): Promise<void> {
    const round = ++this.#round;
    await this.client.echo(10_000 + round, { round, text: `healthy ${round} ✓`, list: [round, [round]] });
  }
}

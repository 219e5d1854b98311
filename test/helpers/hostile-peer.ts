/**
 * Tools for the hostile-peer tests (test/integration/hostile-*.test.ts): a seeded PRNG, a guard
 * that records any uncaught exception or unhandled rejection while an attack runs, a sampler of
 * the process's memory, and a healthy client that proves an attack did not disturb anyone else.
 *
 * Memory is measured in-process: the attacking clients and the server share this process, so
 * every bound in the tests is generous and is chosen to sit far below what the attack would cost
 * if the server buffered what the peer announced or sent (see the comment at each bound).
 */
import { connect } from 'node:net';
import type { Socket } from 'node:net';
import { expect } from 'vitest';
import { RawClient, upgradeRequest } from './raw-client.js';

export const KiB = 1024;
export const MiB = 1024 * KiB;

/** mulberry32: a tiny deterministic PRNG, so a failing random case is replayable from its seed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `length` bytes from `random`. */
export function randomBytes(random: () => number, length: number): Buffer {
  const out = Buffer.allocUnsafe(length);
  for (let i = 0; i < length; i++) out[i] = Math.floor(random() * 256);
  return out;
}

/**
 * Records every `uncaughtException` and `unhandledRejection` of the process. Install it in
 * beforeAll, call {@link CrashGuard.expectNone} in afterEach, {@link CrashGuard.dispose} in afterAll.
 */
export class CrashGuard {
  readonly crashes: unknown[] = [];
  readonly #onCrash = (err: unknown): void => {
    this.crashes.push(err);
  };

  constructor() {
    process.on('uncaughtException', this.#onCrash);
    process.on('unhandledRejection', this.#onCrash);
  }

  /** Fails the test if anything escaped since the last call. */
  expectNone(): void {
    const crashes = this.crashes.splice(0);
    expect(crashes.map((e) => (e instanceof Error ? `${e.name}: ${e.message}` : String(e)))).toEqual([]);
  }

  dispose(): void {
    process.off('uncaughtException', this.#onCrash);
    process.off('unhandledRejection', this.#onCrash);
  }
}

/** Peak growth of the process's memory while it ran, in bytes. */
export interface MemoryPeak {
  /** Resident set size (everything: heap, buffers, zlib's native memory). */
  readonly rss: number;
  /** Memory of ArrayBuffers and Buffers (where received payloads would pile up). */
  readonly arrayBuffers: number;
}

/** Samples `process.memoryUsage()` every few milliseconds until stopped. */
export class MemorySampler {
  readonly #base = process.memoryUsage();
  #peakRss = this.#base.rss;
  #peakArrayBuffers = this.#base.arrayBuffers;
  readonly #timer = setInterval(() => this.sample(), 2);

  /** Take a sample now (call it at the moments that matter, not only on the timer). */
  sample(): void {
    const now = process.memoryUsage();
    this.#peakRss = Math.max(this.#peakRss, now.rss);
    this.#peakArrayBuffers = Math.max(this.#peakArrayBuffers, now.arrayBuffers);
  }

  /** Stops sampling and reports the peak growth over the baseline. */
  stop(): MemoryPeak {
    this.sample();
    clearInterval(this.#timer);
    return { rss: this.#peakRss - this.#base.rss, arrayBuffers: this.#peakArrayBuffers - this.#base.arrayBuffers };
  }
}

/**
 * A well-behaved client of an echo server (`listenEcho`): each {@link HealthyPeer.check} sends a
 * text and a binary message with fresh contents and expects the exact echo frames back, so any
 * disturbance (a stalled event loop, crossed buffers, a dropped connection) fails the test.
 */
export class HealthyPeer {
  readonly #port: number;
  readonly #client: RawClient;
  #round = 0;

  private constructor(port: number, client: RawClient) {
    this.#port = port;
    this.#client = client;
  }

  static async connect(port: number, headers: Record<string, string | null> = {}): Promise<HealthyPeer> {
    return new HealthyPeer(port, await RawClient.connect(port, '/', headers));
  }

  /** One text and one binary round trip on the long-lived connection, compared byte for byte. */
  async check(timeoutMs = 5000): Promise<void> {
    const round = ++this.#round;
    const text = `healthy round ${round} ✓ ${'x'.repeat(round % 200)}`;
    const binary = Buffer.from(Array.from({ length: 64 + round }, (_v, i) => (i * 7 + round) & 0xff));
    this.#client.sendFrame(1, text);
    this.#client.sendFrame(2, binary);
    const echoed = [await this.#client.next(timeoutMs), await this.#client.next(timeoutMs)];
    expect(echoed.map((f) => [f?.opcode, f?.fin, f?.rsv, f?.masked])).toEqual([
      [1, true, 0, false],
      [2, true, 0, false],
    ]);
    expect(echoed[0]!.payload.toString('utf8')).toBe(text);
    expect(echoed[1]!.payload.equals(binary)).toBe(true);
  }

  /** A brand-new connection is still accepted and echoes. */
  async fresh(): Promise<void> {
    const peer = await HealthyPeer.connect(this.#port);
    await peer.check();
    peer.close();
  }

  close(): void {
    this.#client.destroy();
  }
}

/**
 * A raw TCP socket that completes the upgrade, then stops reading (`pause`): the kernel buffers
 * fill and the server's writes to it back up. Resolves once the 101 head has been read.
 */
export function stalledSocket(port: number, headers: Record<string, string | null> = {}): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let head = Buffer.alloc(0);
    socket.on('error', () => {});
    socket.once('close', () => reject(new Error('closed before the 101')));
    const onData = (chunk: Buffer): void => {
      head = Buffer.concat([head, chunk]);
      if (head.indexOf('\r\n\r\n') === -1) return;
      socket.off('data', onData);
      if (!head.toString('latin1').startsWith('HTTP/1.1 101 ')) return reject(new Error(`no 101: ${head.toString('latin1')}`));
      socket.pause();
      resolve(socket);
    };
    socket.on('data', onData);
    socket.write(upgradeRequest('/', headers));
  });
}

/** Writes `chunk` repeatedly until `totalBytes` are written or the peer stops reading for `stallMs`. */
export async function writeUntilStalled(socket: Socket, chunk: Uint8Array, totalBytes: number, stallMs = 300): Promise<number> {
  let written = 0;
  while (written < totalBytes && !socket.destroyed) {
    written += chunk.length;
    if (socket.write(chunk)) continue;
    const drained = await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => {
        socket.off('drain', onDrain);
        resolve(false);
      }, stallMs);
      const onDrain = (): void => {
        clearTimeout(timer);
        resolve(true);
      };
      socket.once('drain', onDrain);
    });
    if (!drained) break;
  }
  return written;
}

/** Resolves after `ms` (only for letting an attack get under way, never for asserting on time). */
export function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

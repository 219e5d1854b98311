/**
 * The fault-injection proxy: a TCP server that forwards every accepted connection to the target
 * through a {@link Link}, with the configured faults, and lets a test cut or black-hole the open
 * connections on demand.
 */
import { createServer } from 'node:net';
import type { Server, Socket } from 'node:net';
import { EventEmitter } from 'eventemitter3';
import { Link } from './link.js';
import type { CutReason, LinkOwner } from './link.js';
import { resolveProxyOptions } from './options.js';
import type { BlackholeDirection, Direction, ProxyOptions, ResolvedProxyOptions } from './options.js';
import { createRandom, createSchedule, deriveSeed, randomSeed, RandomStreams } from './random.js';

/** A connection, as the proxy's events report it. */
export interface ProxyConnection {
  /** 1 for the first accepted connection, then 2, 3… */
  readonly id: number;
  readonly remoteAddress: string | undefined;
  readonly remotePort: number | undefined;
  /** This connection's cut time in ms after accept, or undefined (never). */
  readonly cutAfter: number | undefined;
  /** When its black hole starts, in ms after accept, or undefined (none). */
  readonly blackholeAfter: number | undefined;
}

/** A cut, as the `'cut'` event reports it. */
export interface ProxyCut {
  readonly id: number;
  readonly reason: CutReason;
  /** The direction whose byte budget ran out (reason `bytes`). */
  readonly direction: Direction | undefined;
  /** Ms from accept to the cut. */
  readonly after: number;
  /** Bytes delivered before the cut, client → target and target → client. */
  readonly up: number;
  readonly down: number;
}

/** Counters of {@link FaultProxy.stats}. Bytes are totals over every connection so far. */
export interface ProxyStats {
  readonly seed: number;
  /** Connections accepted. */
  readonly accepted: number;
  /** Connections open now. */
  readonly open: number;
  readonly cuts: number;
  /** Connections whose target could not be reached. */
  readonly failed: number;
  /** Bytes delivered per direction. */
  readonly bytes: { readonly up: number; readonly down: number };
  /** Bytes dropped by black holes per direction. */
  readonly swallowed: { readonly up: number; readonly down: number };
  /** Bytes held by the proxy now per direction (bounded by `maxBuffered` plus a chunk or two). */
  readonly buffered: { readonly up: number; readonly down: number };
}

/** Events of {@link FaultProxy}. */
export interface ProxyEvents {
  /** A connection was accepted (its target connection is still being made). */
  connection: [connection: ProxyConnection];
  cut: [cut: ProxyCut];
  /** Both sockets of a connection closed; `error` is the first socket error (e.g. ECONNREFUSED). */
  close: [connection: ProxyConnection, error: Error | undefined];
  /** The listening server failed after it started. */
  error: [error: Error];
}

/** A running proxy. Create it with {@link createProxy}. */
export class FaultProxy extends EventEmitter<ProxyEvents> implements LinkOwner {
  /** The port it listens on (the real one when `listen` was 0). */
  readonly port: number;
  readonly host: string;
  /** The seed in use: pass it back as `seed` to repeat this run's schedule. */
  readonly seed: number;
  private readonly links = new Map<number, Link>();
  private readonly connections = new WeakMap<Link, ProxyConnection>();
  private readonly nextCut: (() => number) | undefined;
  private readonly nextBlackhole: (() => number) | undefined;
  private readonly jitterSeed: number;
  private nextId = 1;
  private counts = { cuts: 0, failed: 0, up: 0, down: 0, swallowedUp: 0, swallowedDown: 0 };
  private closing: Promise<void> | undefined;

  /** @internal Use {@link createProxy}. */
  constructor(
    private readonly server: Server,
    readonly options: ResolvedProxyOptions,
    seed: number,
  ) {
    super();
    this.seed = seed;
    const address = server.address();
    this.port = typeof address === 'object' && address !== null ? address.port : options.listen.port;
    this.host = options.listen.host;
    const { cutAfter, blackhole, blackholeAfter } = options;
    this.nextCut = cutAfter === undefined ? undefined : createSchedule(seed, RandomStreams.cut, cutAfter);
    this.nextBlackhole = blackhole === undefined ? undefined : createSchedule(seed, RandomStreams.blackhole, blackholeAfter);
    this.jitterSeed = deriveSeed(seed, RandomStreams.jitter);
    server.on('connection', (socket: Socket) => this.accept(socket));
    server.on('error', (err) => this.emit('error', err));
  }

  /** Cuts every open connection now (both sockets reset). Returns how many were cut. */
  cutAll(): number {
    let count = 0;
    for (const link of [...this.links.values()]) if (link.cut('manual')) count++;
    return count;
  }

  /** Black-holes a direction of every open connection now (new ones are not affected). Returns how many. */
  blackholeAll(direction: BlackholeDirection = 'both'): number {
    let count = 0;
    for (const link of this.links.values()) {
      if (link.state === 'connecting' || link.state === 'open') {
        link.blackhole(direction);
        count++;
      }
    }
    return count;
  }

  /** Counters so far. */
  stats(): ProxyStats {
    const { cuts, failed, up, down, swallowedUp, swallowedDown } = this.counts;
    let [liveUp, liveDown, liveSwallowedUp, liveSwallowedDown, bufferedUp, bufferedDown] = [0, 0, 0, 0, 0, 0];
    for (const link of this.links.values()) {
      liveUp += link.up.forwarded;
      liveDown += link.down.forwarded;
      liveSwallowedUp += link.up.swallowed;
      liveSwallowedDown += link.down.swallowed;
      bufferedUp += link.up.buffered;
      bufferedDown += link.down.buffered;
    }
    return {
      seed: this.seed,
      accepted: this.nextId - 1,
      open: this.links.size,
      cuts,
      failed,
      bytes: { up: up + liveUp, down: down + liveDown },
      swallowed: { up: swallowedUp + liveSwallowedUp, down: swallowedDown + liveSwallowedDown },
      buffered: { up: bufferedUp, down: bufferedDown },
    };
  }

  /** Stops listening and closes every connection (no cut events). Resolves when all is closed. */
  close(): Promise<void> {
    this.closing ??= new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      for (const link of this.links.values()) link.destroy();
    });
    return this.closing;
  }

  /** @internal */
  linkCut(link: Link, reason: CutReason, direction: Direction | undefined): void {
    this.counts.cuts++;
    const after = Math.round(performance.now() - link.acceptedAt);
    this.emit('cut', { id: link.id, reason, direction, after, up: link.up.forwarded, down: link.down.forwarded });
  }

  /** @internal */
  linkClosed(link: Link, error: Error | undefined): void {
    this.links.delete(link.id);
    const counts = this.counts;
    counts.up += link.up.forwarded;
    counts.down += link.down.forwarded;
    counts.swallowedUp += link.up.swallowed;
    counts.swallowedDown += link.down.swallowed;
    if (link.unreachable) counts.failed++;
    this.emit('close', this.connections.get(link)!, error);
  }

  private accept(socket: Socket): void {
    if (this.closing !== undefined) {
      socket.destroy();
      return;
    }
    const id = this.nextId++;
    const plan = { cutAfter: this.nextCut?.(), blackholeAfter: this.nextBlackhole?.() };
    const random = { up: createRandom(deriveSeed(this.jitterSeed, id * 2)), down: createRandom(deriveSeed(this.jitterSeed, id * 2 + 1)) };
    const connection: ProxyConnection = { id, remoteAddress: socket.remoteAddress, remotePort: socket.remotePort, ...plan };
    const link = new Link(id, socket, this.options, plan, random, this);
    this.links.set(id, link);
    this.connections.set(link, connection);
    this.emit('connection', connection);
  }
}

/**
 * Starts a fault-injection proxy and resolves once it listens.
 *
 * ```ts
 * const proxy = await createProxy({ target: '127.0.0.1:8080', cutAfter: [1000, 5000], seed: 7 });
 * const ws = new WebSocket(`ws://127.0.0.1:${proxy.port}/`);
 * proxy.cutAll(); // the client sees 1006, the server a reset
 * await proxy.close();
 * ```
 *
 * Throws {@link ProxyOptionError} (code `ERR_INVALID_ARGUMENT`) naming the first invalid option.
 */
export async function createProxy(options: ProxyOptions): Promise<FaultProxy> {
  const resolved = resolveProxyOptions(options);
  // pauseOnConnect: a client's bytes wait in its socket until the target connection is up.
  const server = createServer({ allowHalfOpen: true, pauseOnConnect: true });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(resolved.listen.port, resolved.listen.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return new FaultProxy(server, resolved, resolved.seed ?? randomSeed());
}

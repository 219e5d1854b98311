/**
 * permessage-deflate (RFC 7692 §7.2) on node:zlib: one {@link PerMessageDeflate} per connection,
 * one {@link ConcurrencyLimiter} shared by all of them so thousands of peers compressing at once
 * queue up instead of exhausting libuv's thread pool and memory.
 */
import { constants, createDeflateRaw, createInflateRaw, type DeflateRaw, type InflateRaw } from 'node:zlib';
import { CloseCodes } from '../src/close-codes.js';
import { ErrorCodes, ProtocolError, StateError, TandemError } from '../src/errors.js';
import {
  validatePerMessageDeflateConfig,
  type PerMessageDeflateConfig,
  type PerMessageDeflateParams,
} from '../src/rfc6455/extensions.js';

/** The `perMessageDeflate` option of the server (and of a Node-side client). */
export interface PerMessageDeflateOptions extends PerMessageDeflateConfig {
  /** Messages smaller than this many bytes are sent uncompressed. @default 1024 */
  readonly threshold?: number | undefined;
  /** zlib compression level, 0-9 or -1 for zlib's default (6). @default -1 */
  readonly level?: number | undefined;
  /** zlib memLevel 1-9: deflate state is about `2^(windowBits+2) + 2^(memLevel+9)` bytes. @default 8 */
  readonly memLevel?: number | undefined;
  /** zlib jobs in flight at once, across every connection that shares the limiter. @default 10 */
  readonly concurrency?: number | undefined;
}

/** {@link PerMessageDeflateOptions} with every default applied. */
export interface ResolvedPerMessageDeflateOptions extends PerMessageDeflateConfig {
  readonly threshold: number;
  readonly level: number;
  readonly memLevel: number;
  readonly concurrency: number;
}

/** Defaults of {@link PerMessageDeflateOptions}. */
export const DEFAULTS = Object.freeze({
  /** @default 1024 */
  threshold: 1024,
  /** @default -1 (zlib's default, 6) */
  level: constants.Z_DEFAULT_COMPRESSION,
  /** @default 8 */
  memLevel: 8,
  /** @default 10 */
  concurrency: 10,
});

function checkInteger(name: string, value: number, min: number, max: number): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new TandemError(ErrorCodes.InvalidArgument, `perMessageDeflate.${name} must be an integer ${min}-${max}, got ${String(value)}`);
  }
}

/**
 * Normalises the `perMessageDeflate` option: `false`/`undefined` → `undefined` (off, the
 * default), `true` → defaults, an object → validated and completed.
 *
 * @throws {TandemError} `ERR_INVALID_ARGUMENT` on an out-of-range value.
 */
export function resolvePerMessageDeflateOptions(
  option: boolean | PerMessageDeflateOptions | undefined,
): ResolvedPerMessageDeflateOptions | undefined {
  if (option === undefined || option === false) return undefined;
  const given: PerMessageDeflateOptions = option === true ? {} : option;
  validatePerMessageDeflateConfig(given);
  const resolved: ResolvedPerMessageDeflateOptions = {
    serverNoContextTakeover: given.serverNoContextTakeover ?? false,
    clientNoContextTakeover: given.clientNoContextTakeover ?? false,
    serverMaxWindowBits: given.serverMaxWindowBits,
    clientMaxWindowBits: given.clientMaxWindowBits,
    threshold: given.threshold ?? DEFAULTS.threshold,
    level: given.level ?? DEFAULTS.level,
    memLevel: given.memLevel ?? DEFAULTS.memLevel,
    concurrency: given.concurrency ?? DEFAULTS.concurrency,
  };
  checkInteger('threshold', resolved.threshold, 0, Number.MAX_SAFE_INTEGER);
  checkInteger('level', resolved.level, -1, 9);
  checkInteger('memLevel', resolved.memLevel, 1, 9);
  checkInteger('concurrency', resolved.concurrency, 1, 1_000_000);
  return Object.freeze(resolved);
}

/** Runs at most `limit` async jobs at once; the rest wait in FIFO order. */
export class ConcurrencyLimiter {
  readonly limit: number;
  private running = 0;
  private queue: ((() => void) | undefined)[] = [];
  private head = 0;

  constructor(limit: number = DEFAULTS.concurrency) {
    checkInteger('concurrency', limit, 1, 1_000_000);
    this.limit = limit;
  }

  /** Jobs running now. */
  get active(): number {
    return this.running;
  }

  /** Jobs waiting for a slot. */
  get pending(): number {
    return this.queue.length - this.head;
  }

  /** Runs `job` as soon as a slot is free; settles as the job does. */
  run<T>(job: () => Promise<T>): Promise<T> {
    if (this.running < this.limit) return this.start(job);
    return new Promise<T>((resolve, reject) => {
      this.queue.push(() => void this.start(job).then(resolve, reject));
    });
  }

  private start<T>(job: () => Promise<T>): Promise<T> {
    this.running++;
    let result: Promise<T>;
    try {
      result = job();
    } catch (err) {
      result = Promise.reject(err);
    }
    return result.finally(() => this.next());
  }

  private next(): void {
    this.running--;
    if (this.head === this.queue.length) return;
    const waiter = this.queue[this.head];
    this.queue[this.head++] = undefined;
    // Compact now and then so a long-lived queue does not grow without bound.
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
    waiter?.();
  }
}

let sharedLimiter: ConcurrencyLimiter | undefined;

/** The process-wide limiter used when none is passed ({@link DEFAULTS}.concurrency slots). */
export function defaultLimiter(): ConcurrencyLimiter {
  sharedLimiter ??= new ConcurrencyLimiter();
  return sharedLimiter;
}

/** Construction parameters of a {@link PerMessageDeflate}. */
export interface PerMessageDeflateInit {
  /** Our end: `server` compresses with the `server*` parameters, `client` with the `client*` ones. */
  readonly role: 'server' | 'client';
  /** The negotiated parameters (from `acceptPerMessageDeflate` / `validatePerMessageDeflateResponse`). */
  readonly params: PerMessageDeflateParams;
  /** Largest inflated message in bytes, enforced while inflating; `Infinity` for none. */
  readonly maxPayload: number;
  /** @default DEFAULTS.level */
  readonly level?: number | undefined;
  /** @default DEFAULTS.memLevel */
  readonly memLevel?: number | undefined;
  /** Shared by every connection of one server. @default defaultLimiter() */
  readonly limiter?: ConcurrencyLimiter | undefined;
  /** Messages smaller than this are sent uncompressed (read by the connection). @default DEFAULTS.threshold */
  readonly threshold?: number | undefined;
}

/** Byte counters of one connection, for metrics and for proving that limits stop zlib early. */
export interface PerMessageDeflateStats {
  /** Compressed bytes produced by {@link PerMessageDeflate.compress}. */
  readonly bytesDeflated: number;
  /** Bytes zlib inflated, including those of a message rejected for its size. */
  readonly bytesInflated: number;
}

type Direction = 'deflate' | 'inflate';
type State = 'open' | 'closed';

// RFC 7692 §7.2.1: the sync flush's empty stored block, stripped by the sender, re-added by the receiver.
const TRAILER = Uint8Array.of(0x00, 0x00, 0xff, 0xff);
// zlib's raw deflate has no 256-byte window (see extensions.ts), so 8 bits inflate with 9: a
// larger window decodes anything a smaller one produced.
const MIN_ZLIB_WINDOW_BITS = 9;

function noop(): void {}

/** `data` + `00 00 ff ff` in one buffer, so zlib gets one job instead of two. */
function withTrailer(data: Uint8Array): Uint8Array {
  const out = Buffer.allocUnsafe(data.length + TRAILER.length);
  out.set(data, 0);
  out.set(TRAILER, data.length);
  return out;
}

function endsWithTrailer(data: Uint8Array): boolean {
  const n = data.length;
  return n >= 4 && data[n - 4] === 0x00 && data[n - 3] === 0x00 && data[n - 2] === 0xff && data[n - 1] === 0xff;
}

/**
 * The compressor and decompressor of one connection (RFC 7692 §7.2), in either role.
 *
 * Jobs of one direction run strictly one after another (they share one LZ77 context), so results
 * come back in call order whatever the shared limiter does; the two directions are independent.
 * zlib streams are created on first use and, without context takeover, released after every
 * message, so an idle connection holds no zlib memory.
 */
export class PerMessageDeflate {
  readonly role: 'server' | 'client';
  readonly params: PerMessageDeflateParams;
  /** Messages smaller than this many bytes are not worth compressing (the `MessageCodec` contract). */
  readonly threshold: number;
  private state: State = 'open';
  private readonly maxPayload: number;
  private readonly level: number;
  private readonly memLevel: number;
  private readonly limiter: ConcurrencyLimiter;
  private readonly deflateWindowBits: number;
  private readonly inflateWindowBits: number;
  private readonly deflateNoContextTakeover: boolean;
  private readonly inflateNoContextTakeover: boolean;
  private deflater: DeflateRaw | undefined;
  private inflater: InflateRaw | undefined;
  private readonly tails: Record<Direction, Promise<void>> = { deflate: Promise.resolve(), inflate: Promise.resolve() };
  private readonly aborts: Partial<Record<Direction, (err: Error) => void>> = {};
  /** Inflated bytes of the message being received, across `fin = false` calls. */
  private messageBytes = 0;
  private counters = { bytesDeflated: 0, bytesInflated: 0 };

  constructor(init: PerMessageDeflateInit) {
    const { role, params } = init;
    this.role = role;
    this.params = params;
    this.maxPayload = init.maxPayload;
    this.threshold = init.threshold ?? DEFAULTS.threshold;
    this.level = init.level ?? DEFAULTS.level;
    this.memLevel = init.memLevel ?? DEFAULTS.memLevel;
    this.limiter = init.limiter ?? defaultLimiter();
    const own = role === 'server' ? params.serverMaxWindowBits : params.clientMaxWindowBits;
    const peer = role === 'server' ? params.clientMaxWindowBits : params.serverMaxWindowBits;
    // Negotiation never agrees to compress with 8 bits; zlib would silently use 9 and break the peer.
    checkInteger('ownMaxWindowBits', own, MIN_ZLIB_WINDOW_BITS, 15);
    checkInteger('peerMaxWindowBits', peer, 8, 15);
    if (!(this.maxPayload > 0)) throw new TandemError(ErrorCodes.InvalidArgument, 'maxPayload must be positive');
    this.deflateWindowBits = own;
    this.inflateWindowBits = Math.max(peer, MIN_ZLIB_WINDOW_BITS);
    this.deflateNoContextTakeover = role === 'server' ? params.serverNoContextTakeover : params.clientNoContextTakeover;
    this.inflateNoContextTakeover = role === 'server' ? params.clientNoContextTakeover : params.serverNoContextTakeover;
  }

  /** Byte counters since construction. */
  get stats(): PerMessageDeflateStats {
    return { ...this.counters };
  }

  /**
   * Compresses one message, or one fragment of it (`fin = false` for all but the last). The
   * final part has its trailing `00 00 ff ff` removed (RFC 7692 §7.2.1).
   *
   * @throws {StateError} (rejects) after {@link close}.
   */
  compress(data: Uint8Array, fin = true): Promise<Uint8Array> {
    return this.enqueue('deflate', () => this.deflate(data, fin));
  }

  /**
   * Decompresses one message (or fragment; `fin = false` for all but the last), appending the
   * `00 00 ff ff` the sender removed (RFC 7692 §7.2.2).
   *
   * @throws {ProtocolError} (rejects) `ERR_MESSAGE_TOO_BIG` / 1009 as soon as the inflated size
   *   exceeds `maxPayload`; `ERR_INFLATE_FAILED` / 1007 on invalid deflate data.
   * @throws {StateError} (rejects) after {@link close}.
   */
  decompress(data: Uint8Array, fin = true): Promise<Uint8Array> {
    return this.enqueue('inflate', () => this.inflate(data, fin));
  }

  /** Releases the zlib streams; jobs in flight or queued reject with a {@link StateError}. Idempotent. */
  close(): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    const closed = new StateError('permessage-deflate is closed');
    for (const direction of ['deflate', 'inflate'] as const) {
      this.aborts[direction]?.(closed);
      this.release(direction);
    }
  }

  /** Chains `job` after the previous one of its direction, then waits for a shared slot. */
  private enqueue(direction: Direction, job: () => Promise<Uint8Array>): Promise<Uint8Array> {
    const result = this.tails[direction].then(() =>
      this.limiter.run(() => {
        if (this.state === 'closed') return Promise.reject(new StateError('permessage-deflate is closed'));
        return job();
      }),
    );
    this.tails[direction] = result.then(noop, noop);
    return result;
  }

  private async deflate(data: Uint8Array, fin: boolean): Promise<Uint8Array> {
    this.deflater ??= createDeflateRaw({ flush: constants.Z_SYNC_FLUSH, level: this.level, memLevel: this.memLevel, windowBits: this.deflateWindowBits });
    let out = await this.pump('deflate', this.deflater, data, Number.POSITIVE_INFINITY);
    if (fin) {
      // RFC 7692 §7.2.1: remove the 4 octets 00 00 ff ff at the tail end of the message.
      if (endsWithTrailer(out)) out = out.subarray(0, out.length - TRAILER.length);
      // RFC 7692 §7.1.1.1: no context takeover → the next message starts from an empty window.
      if (this.deflateNoContextTakeover) this.deflater.reset();
    }
    this.counters.bytesDeflated += out.length;
    return out;
  }

  private async inflate(data: Uint8Array, fin: boolean): Promise<Uint8Array> {
    if (this.inflater?.readableEnded === true) this.release('inflate');
    const inflater = (this.inflater ??= createInflateRaw({ flush: constants.Z_SYNC_FLUSH, windowBits: this.inflateWindowBits }));
    const out = await this.pump('inflate', inflater, fin ? withTrailer(data) : data, this.maxPayload - this.messageBytes);
    this.messageBytes = fin ? 0 : this.messageBytes + out.length;
    // RFC 7692 §7.2.3.4: a peer may end a message with BFINAL; that ends the zlib stream, so the
    // next message needs a new one (as it does without context takeover, §7.1.1.2).
    if (fin && inflater.readableEnded) this.release('inflate');
    else if (fin && this.inflateNoContextTakeover) inflater.reset();
    return out;
  }

  /**
   * Writes `inputs`, sync-flushes and collects the output. Output beyond `limit` bytes stops
   * zlib at once (the stream is destroyed between two output chunks of at most 16 KiB), so
   * memory stays bounded by the limit whatever the input expands to.
   */
  private pump(direction: Direction, stream: DeflateRaw | InflateRaw, input: Uint8Array, limit: number): Promise<Uint8Array> {
    return new Promise<Uint8Array>((resolve, reject) => {
      const chunks: Buffer[] = [];
      let total = 0;
      let settled = false;
      const finish = (err?: Error): void => {
        if (settled) return;
        settled = true;
        stream.off('data', onData);
        stream.off('error', onError);
        delete this.aborts[direction];
        if (err === undefined) {
          resolve(Buffer.concat(chunks, total));
          return;
        }
        this.release(direction);
        reject(err);
      };
      const onData = (chunk: Buffer): void => {
        total += chunk.length;
        if (direction === 'inflate') this.counters.bytesInflated += chunk.length;
        if (total <= limit) chunks.push(chunk);
        // RFC 6455 §10.4 / RFC 7692 §8: the limit applies to the inflated size.
        else finish(new ProtocolError(ErrorCodes.MessageTooBig, `Inflated message exceeds maxPayload (${this.maxPayload} bytes)`, CloseCodes.MessageTooBig));
      };
      const onError = (err: Error): void => {
        // RFC 6455 §8.1 applies to the inflated text; bad deflate data is likewise invalid payload data.
        finish(direction === 'inflate' ? new ProtocolError(ErrorCodes.InflateFailed, `Invalid compressed data: ${err.message}`, CloseCodes.InvalidPayload) : err);
      };
      this.aborts[direction] = finish;
      stream.on('data', onData);
      stream.on('error', onError);
      stream.write(input, (err) => (err == null ? finish() : onError(err)));
    });
  }

  /** Drops and closes a direction's zlib stream (after an error, a reset, or on close). */
  private release(direction: Direction): void {
    const stream = direction === 'deflate' ? this.deflater : this.inflater;
    if (direction === 'deflate') this.deflater = undefined;
    else {
      this.inflater = undefined;
      this.messageBytes = 0;
    }
    if (stream === undefined) return;
    // A destroyed stream can still report a late failure; nobody is listening any more.
    stream.on('error', noop);
    stream.close();
  }
}

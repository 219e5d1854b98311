/**
 * permessage-deflate (RFC 7692 §7.2) on node:zlib, in both roles: the server and the Node client
 * share it, which is why it lives in node/ rather than server/. One {@link PerMessageDeflate} per
 * connection, one {@link ConcurrencyLimiter} shared by all of them so thousands of peers
 * compressing at once queue up instead of exhausting libuv's thread pool and memory.
 */
import { constants, createDeflateRaw, createInflateRaw, type DeflateRaw, type InflateRaw } from 'node:zlib';
import { CloseCodes } from '../src/close-codes.js';
import { ErrorCodes, ProtocolError, StateError, TandemError } from '../src/errors.js';
import type { ConcurrencyLimiter } from './concurrency-limiter.js';
import type { PerMessageDeflateParams } from '../src/rfc6455/permessage-deflate-params.js';
import { DEFAULTS, checkInteger, defaultLimiter } from './permessage-deflate-options.js';

export {
  DEFAULTS,
  defaultLimiter,
  resolvePerMessageDeflateOptions,
  type PerMessageDeflateOptions,
  type ResolvedPerMessageDeflateOptions,
} from './permessage-deflate-options.js';
export { ConcurrencyLimiter } from './concurrency-limiter.js';

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
  /** Shared by every connection of one server (or every client of the process). @default defaultLimiter() */
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
type ZlibStream = DeflateRaw | InflateRaw;

// RFC 7692 §7.2.1: the sync flush's empty stored block, stripped by the sender, re-added by the receiver.
const TRAILER = Uint8Array.of(0x00, 0x00, 0xff, 0xff);
// zlib's raw deflate has no 256-byte window (see permessage-deflate-params.ts), so 8 bits inflate with 9: a
// larger window decodes anything a smaller one produced.
const MIN_ZLIB_WINDOW_BITS = 9;

function noop(): void {}

/** `data` + `00 00 ff ff` in one buffer, so zlib gets one job (one thread-pool trip) instead of two. */
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

function closedError(): StateError {
  return new StateError('permessage-deflate is closed');
}

/** One compress/decompress call, waiting for its direction's stream or holding it. */
interface Job {
  readonly data: Uint8Array;
  readonly fin: boolean;
  readonly resolve: (out: Uint8Array) => void;
  readonly reject: (err: Error) => void;
}

/**
 * One direction of a connection: its zlib stream, its FIFO of calls (the head one is running or
 * waiting for a limiter slot), and the output of the zlib write in flight. The callbacks are
 * bound once per lane so a message allocates no closures beyond its own promise.
 */
interface Lane {
  readonly direction: Direction;
  stream: ZlibStream | undefined;
  readonly jobs: Job[];
  chunks: Buffer[];
  total: number;
  limit: number;
  /** Settle the zlib write in flight; both `undefined` when none is. */
  done: ((out: Uint8Array) => void) | undefined;
  fail: ((err: Error) => void) | undefined;
  readonly task: () => Promise<Uint8Array>;
  /** The write callback of the current stream (a stale stream's late callback must not settle a newer call). */
  onWritten: (err?: Error | null) => void;
  readonly onResolved: (out: Uint8Array) => void;
  readonly onRejected: (err: unknown) => void;
}

/**
 * The compressor and decompressor of one connection (RFC 7692 §7.2), in either role.
 *
 * Calls of one direction run strictly one after another (they share one LZ77 context), so results
 * come back in call order whatever the shared limiter does; the two directions are independent.
 * Each call is one zlib write with `Z_SYNC_FLUSH` (one thread-pool trip); zlib streams are
 * created on first use. Without context takeover the inflater is reset after every message and
 * the compressor released, so an idle connection holds no compressor memory.
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
  private readonly deflateLane: Lane = this.lane('deflate');
  private readonly inflateLane: Lane = this.lane('inflate');
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
    return this.submit(this.deflateLane, data, fin);
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
    return this.submit(this.inflateLane, data, fin);
  }

  /** Releases the zlib streams; calls in flight or queued reject with a {@link StateError}. Idempotent. */
  close(): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    for (const lane of [this.deflateLane, this.inflateLane]) {
      // The head call holds (or awaits) a limiter slot and settles through it; the rest never start.
      for (const job of lane.jobs.splice(1)) job.reject(closedError());
      if (lane.fail !== undefined) this.abort(lane, closedError());
      else this.release(lane);
    }
  }

  private lane(direction: Direction): Lane {
    const lane: Lane = {
      direction,
      stream: undefined,
      jobs: [],
      chunks: [],
      total: 0,
      limit: Number.POSITIVE_INFINITY,
      done: undefined,
      fail: undefined,
      task: () => this.start(lane),
      onWritten: noop,
      onResolved: (out) => this.settle(lane, out, undefined),
      onRejected: (err) => this.settle(lane, undefined, err instanceof Error ? err : new Error(String(err))),
    };
    return lane;
  }

  private submit(lane: Lane, data: Uint8Array, fin: boolean): Promise<Uint8Array> {
    return new Promise<Uint8Array>((resolve, reject) => {
      if (this.state === 'closed') return reject(closedError());
      lane.jobs.push({ data, fin, resolve, reject });
      if (lane.jobs.length === 1) this.limiter.run(lane.task).then(lane.onResolved, lane.onRejected);
    });
  }

  /** The head call leaves the lane with its result; the next one asks for a slot. */
  private settle(lane: Lane, out: Uint8Array | undefined, err: Error | undefined): void {
    const job = lane.jobs.shift();
    if (err === undefined) job?.resolve(out!);
    else job?.reject(err);
    if (lane.jobs.length > 0) this.limiter.run(lane.task).then(lane.onResolved, lane.onRejected);
  }

  /** Runs the head call in its limiter slot: one zlib write, settled by {@link written} or {@link abort}. */
  private start(lane: Lane): Promise<Uint8Array> {
    const job = lane.jobs[0];
    if (this.state === 'closed' || job === undefined) return Promise.reject(closedError());
    return new Promise<Uint8Array>((resolve, reject) => {
      lane.done = resolve;
      lane.fail = reject;
      lane.chunks = [];
      lane.total = 0;
      if (lane.direction === 'deflate') {
        lane.limit = Number.POSITIVE_INFINITY;
        (lane.stream ??= this.open(lane)).write(job.data, lane.onWritten);
        return;
      }
      // RFC 7692 §7.2.3.4: a peer may end a message with BFINAL, which ends the zlib stream.
      if (lane.stream?.readableEnded === true) this.release(lane);
      lane.limit = this.maxPayload - this.messageBytes;
      (lane.stream ??= this.open(lane)).write(job.fin ? withTrailer(job.data) : job.data, lane.onWritten);
    });
  }

  /** A zlib stream for `lane`, flushing every write (RFC 7692 §7.2.1) and listened to for its life. */
  private open(lane: Lane): ZlibStream {
    const stream =
      lane.direction === 'deflate'
        ? createDeflateRaw({ flush: constants.Z_SYNC_FLUSH, level: this.level, memLevel: this.memLevel, windowBits: this.deflateWindowBits })
        : createInflateRaw({ flush: constants.Z_SYNC_FLUSH, windowBits: this.inflateWindowBits });
    stream.on('data', (chunk: Buffer) => this.output(lane, stream, chunk));
    stream.on('error', (err: Error) => this.zlibError(lane, stream, err));
    lane.onWritten = (err) => {
      if (err == null) {
        if (stream === lane.stream) this.written(lane);
      } else this.zlibError(lane, stream, err);
    };
    return stream;
  }

  /**
   * One output chunk (at most zlib's 16 KiB chunkSize). Output beyond the limit stops zlib at
   * once, so memory stays bounded by the limit whatever the input expands to.
   */
  private output(lane: Lane, stream: ZlibStream, chunk: Buffer): void {
    if (stream !== lane.stream || lane.fail === undefined) return;
    lane.total += chunk.length;
    if (lane.direction === 'inflate') this.counters.bytesInflated += chunk.length;
    if (lane.total <= lane.limit) lane.chunks.push(chunk);
    // RFC 6455 §10.4 / RFC 7692 §8: the limit applies to the inflated size.
    else this.abort(lane, new ProtocolError(ErrorCodes.MessageTooBig, `Inflated message exceeds maxPayload (${this.maxPayload} bytes)`, CloseCodes.MessageTooBig));
  }

  private zlibError(lane: Lane, stream: ZlibStream | undefined, err: Error): void {
    if (stream !== lane.stream || lane.fail === undefined) return;
    // RFC 6455 §8.1 applies to the inflated text; bad deflate data is likewise invalid payload data.
    const failure = lane.direction === 'inflate' ? new ProtocolError(ErrorCodes.InflateFailed, `Invalid compressed data: ${err.message}`, CloseCodes.InvalidPayload) : err;
    this.abort(lane, failure);
  }

  /** The write was consumed and flushed: every output chunk has been emitted. */
  private written(lane: Lane): void {
    const done = lane.done;
    const job = lane.jobs[0];
    if (done === undefined || job === undefined) return;
    // One chunk is the common case for small messages: hand out zlib's view, no copy.
    let out: Uint8Array = lane.chunks.length === 1 ? lane.chunks[0]! : Buffer.concat(lane.chunks, lane.total);
    this.clear(lane);
    if (lane.direction === 'deflate') {
      if (job.fin) {
        // RFC 7692 §7.2.1: remove the 4 octets 00 00 ff ff at the tail end of the message.
        if (endsWithTrailer(out)) out = out.subarray(0, out.length - TRAILER.length);
        // RFC 7692 §7.1.1.1: no context takeover → the next message starts from an empty window.
        // Released rather than reset: the option is how a server sheds the compressor's ~256 KiB
        // per connection, worth a deflateInit per message (the inflater, ~40 KiB, is reset).
        if (this.deflateNoContextTakeover) this.release(lane);
      }
      this.counters.bytesDeflated += out.length;
    } else {
      this.messageBytes = job.fin ? 0 : this.messageBytes + out.length;
      // RFC 7692 §7.2.3.4: after BFINAL the stream has ended; the next message needs a new one.
      if (job.fin && lane.stream?.readableEnded === true) this.release(lane);
      // RFC 7692 §7.1.1.2: the peer compressed the next message from an empty window.
      else if (job.fin && this.inflateNoContextTakeover) lane.stream?.reset();
    }
    done(out);
  }

  /** Fails the write in flight and drops the stream, whose state is now unknown. */
  private abort(lane: Lane, err: Error): void {
    const fail = lane.fail;
    this.clear(lane);
    this.release(lane);
    fail?.(err);
  }

  private clear(lane: Lane): void {
    lane.done = undefined;
    lane.fail = undefined;
    lane.chunks = [];
    lane.total = 0;
  }

  /** Drops and closes a lane's zlib stream (after an error, BFINAL, or on close). */
  private release(lane: Lane): void {
    const stream = lane.stream;
    lane.stream = undefined;
    if (lane.direction === 'inflate') this.messageBytes = 0;
    if (stream === undefined) return;
    // A destroyed stream can still report a late failure; nobody is listening any more.
    stream.on('error', noop);
    stream.close();
  }
}

/**
 * The seam between a connection (the server's `ServerConnection`, the Node client's
 * `ClientConnection`) and a negotiated message codec (permessage-deflate,
 * RFC 7692). Compression is asynchronous, yet messages must leave and arrive in order: this
 * queue holds every outgoing message (and a requested close) behind a compression in flight,
 * and every incoming message behind an inflation in flight. It exists only when a codec was
 * negotiated, so a plain connection pays nothing for it.
 *
 * Inbound backpressure: while any inbound message waits for the codec, the connection stops
 * reading its socket (as `ws` does not read while inflating), so one peer flooding compressed
 * messages holds at most what one socket read delivered, and cannot fill the limiter shared with
 * other connections.
 */
import { isUtf8 } from 'node:buffer';
import { CloseCodes } from '../src/close-codes.js';
import { ErrorCodes, ProtocolError, isProtocolError } from '../src/errors.js';

/** A per-connection message transform; `PerMessageDeflate` (node/permessage-deflate.ts) fits. */
export interface MessageCodec {
  /** Compress one message or fragment (`fin = false` for all but the last); results in call order. */
  compress(data: Uint8Array, fin?: boolean): Promise<Uint8Array>;
  /** Decompress one whole message; rejects with a ProtocolError (1009, 1007…) on bad input. */
  decompress(data: Uint8Array, fin?: boolean): Promise<Uint8Array>;
  /** Release resources; pending jobs reject. */
  close(): void;
  /** Messages smaller than this many bytes are sent uncompressed (`PerMessageDeflate`: its `threshold` option). */
  readonly threshold: number;
}

/** What the queue needs from its connection. */
export interface CodecQueueOwner {
  sendNow(bytes: Uint8Array, binary: boolean, fin: boolean, compress: boolean, cb: Callback | undefined): void;
  sendFrameNow(frame: readonly Uint8Array[], cb: Callback | undefined): void;
  deliver(data: Uint8Array, isBinary: boolean): void;
  fail(err: ProtocolError): void;
  /** The close requested behind queued sends is due: write the close frame now. */
  closeEngine(code: number | undefined, reason: string): void;
  /** Every queued send was handed to the socket (the queue went from busy to empty). */
  outboundFlushed?(): void;
  /** `true`: stop reading the socket (inbound messages are waiting for the codec); `false`: read again. */
  pauseReading(paused: boolean): void;
}

type Callback = (err?: Error | null) => void;

type Outgoing =
  | { kind: 'data'; bytes: Uint8Array | undefined; size: number; binary: boolean; fin: boolean; compress: boolean; cb: Callback | undefined }
  | { kind: 'frame'; frame: readonly Uint8Array[]; cb: Callback | undefined }
  | { kind: 'close'; code: number | undefined; reason: string };

interface Incoming {
  data: Uint8Array | undefined;
  isBinary: boolean;
}

/** Orders messages around an asynchronous {@link MessageCodec}. */
export class MessageCodecQueue {
  readonly #codec: MessageCodec;
  readonly #owner: CodecQueueOwner;
  readonly #out: Outgoing[] = [];
  readonly #in: Incoming[] = [];
  /** Whether the message being sent in fragments is compressed (decided on its first fragment). */
  #fragmentCompressed: boolean | undefined;
  #disposed = false;

  constructor(codec: MessageCodec, owner: CodecQueueOwner) {
    this.#codec = codec;
    this.#owner = owner;
  }

  /** The smallest message worth compressing. */
  get threshold(): number {
    return this.#codec.threshold;
  }

  /** Is anything waiting to be sent? Then later sends (and a close) must queue behind it. */
  get busy(): boolean {
    return this.#out.length > 0;
  }

  /** Bytes of queued outgoing messages (part of `bufferedAmount`). */
  get pendingBytes(): number {
    let total = 0;
    for (const item of this.#out) if (item.kind === 'data') total += item.size;
    return total;
  }

  /** Queue a data message (or fragment), compressing it when `compress`. */
  send(bytes: Uint8Array, binary: boolean, fin: boolean, compress: boolean, cb: Callback | undefined): void {
    // RFC 7692 §6.1: a message is compressed as a whole, so every fragment follows the first.
    const compressed = this.#fragmentCompressed ?? compress;
    this.#fragmentCompressed = fin ? undefined : compressed;
    if (!compressed && this.#out.length === 0) return this.#owner.sendNow(bytes, binary, fin, false, cb);
    const item: Outgoing = { kind: 'data', bytes: compressed ? undefined : bytes, size: bytes.length, binary, fin, compress: compressed, cb };
    this.#out.push(item);
    if (compressed) {
      this.#codec.compress(bytes, fin).then(
        (out) => {
          item.bytes = out;
          this.#flushOut();
        },
        (err: unknown) => this.#onCodecError(err),
      );
    }
  }

  /** Queue a pre-framed message behind the messages in flight. */
  sendFrame(frame: readonly Uint8Array[], cb: Callback | undefined): void {
    this.#out.push({ kind: 'frame', frame, cb });
    this.#flushOut();
  }

  /** Close once every queued message was sent (the owner validated the code and is already CLOSING). */
  closeAfterSends(code: number | undefined, reason: string): void {
    if (this.#out.some((item) => item.kind === 'close')) return;
    this.#out.push({ kind: 'close', code, reason });
    this.#flushOut();
  }

  /** A message from the engine; `compressed` ones are inflated, all are delivered in order. */
  receive(data: Uint8Array, isBinary: boolean, compressed: boolean): void {
    if (!compressed && this.#in.length === 0) return this.#owner.deliver(data, isBinary);
    const item: Incoming = { data: compressed ? undefined : data, isBinary };
    if (this.#in.push(item) === 1) this.#owner.pauseReading(true);
    if (!compressed) return;
    this.#codec.decompress(data, true).then(
      (out) => {
        // The engine skipped UTF-8 validation for a compressed text message: RFC 6455 §8.1 applies to the inflated bytes.
        if (!isBinary && !isUtf8(out)) {
          return this.#onCodecError(new ProtocolError(ErrorCodes.InvalidUtf8, 'Invalid UTF-8 in a compressed message', CloseCodes.InvalidPayload));
        }
        item.data = out;
        this.#flushIn();
      },
      (err: unknown) => this.#onCodecError(err),
    );
  }

  /** The connection closed: release the codec and fail queued sends. */
  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    this.#codec.close();
    this.#in.length = 0;
    for (const item of this.#out.splice(0)) {
      if (item.kind !== 'close' && item.cb !== undefined) item.cb(new ProtocolError(ErrorCodes.Disconnected, 'The connection closed', CloseCodes.AbnormalClosure));
    }
  }

  #flushOut(): void {
    let sent = false;
    while (!this.#disposed) {
      const head = this.#out[0];
      if (head === undefined) {
        if (sent) this.#owner.outboundFlushed?.();
        return;
      }
      if (head.kind === 'data' && head.bytes === undefined) return;
      sent = true;
      this.#out.shift();
      if (head.kind === 'data') this.#owner.sendNow(head.bytes!, head.binary, head.fin, head.compress, head.cb);
      else if (head.kind === 'frame') this.#owner.sendFrameNow(head.frame, head.cb);
      else this.#owner.closeEngine(head.code, head.reason);
    }
  }

  #flushIn(): void {
    while (!this.#disposed) {
      const head = this.#in[0];
      if (head === undefined) return this.#owner.pauseReading(false);
      if (head.data === undefined) return;
      this.#in.shift();
      this.#owner.deliver(head.data, head.isBinary);
    }
  }

  /** A codec failure that is not the peer's (not a ProtocolError) is ours: 1011. */
  #onCodecError(err: unknown): void {
    if (this.#disposed) return;
    if (isProtocolError(err)) return this.#owner.fail(err);
    const message = err instanceof Error ? err.message : String(err);
    this.#owner.fail(new ProtocolError(ErrorCodes.InflateFailed, message, CloseCodes.InternalError));
  }
}

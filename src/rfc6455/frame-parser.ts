/**
 * The streaming RFC 6455 frame parser: fed arbitrary chunks, it enforces every rule of §5 and
 * emits whole data messages (fragments joined once, at the end) and control frames.
 *
 * One loop over numeric states (HEADER, LENGTH_16, LENGTH_64, MASK_KEY, PAYLOAD); each step takes
 * exactly the bytes it needs or reports "need more". Every violation is a value: the parser latches
 * (`DONE`), drops its buffers and hands one {@link ProtocolError} to the sink — nothing is thrown.
 */
import { CloseCodes } from '../close-codes.js';
import { ErrorCodes, ProtocolError } from '../errors.js';
import { ByteQueue } from './byte-queue.js';
import { assertNever } from '../assert-never.js';
import { DEFAULTS, MAX_CONTROL_PAYLOAD_BYTES, Opcodes, allocateZeroed, isControlOpcode, isKnownOpcode } from './constants.js';
import type { Allocate } from './constants.js';
import { jsUnmasker } from './mask.js';
import type { Unmasker } from './mask.js';
import { MessageAssembler } from './message-assembler.js';
import { isValidUtf8 } from './utf8.js';

const HEADER = 0;
const LENGTH_16 = 1;
const LENGTH_64 = 2;
const MASK_KEY = 3;
const PAYLOAD = 4;
/** Errored, or a close frame arrived (RFC 6455 §5.5.1: nothing after it is processed). */
const DONE = 5;
type ParserState = typeof HEADER | typeof LENGTH_16 | typeof LENGTH_64 | typeof MASK_KEY | typeof PAYLOAD | typeof DONE;

/** Smallest growing buffer for a trickled payload. */
const PREALLOC_BYTES = 64 * 1024;
/** Chunks a spanning payload may occupy in the queue before it moves to a growing buffer. */
const MAX_QUEUED_CHUNKS = 64;

/** Where the parser's output goes; called synchronously from inside `push`. */
export interface FrameParserSink {
  /** A complete data message; `compressed` when RSV1 was set on its first frame. */
  onMessage(data: Uint8Array, isBinary: boolean, compressed: boolean): void;
  /** A complete control frame (close, ping or pong); the payload is unmasked. */
  onControl(opcode: number, payload: Uint8Array): void;
  /** The peer broke the protocol; the parser has stopped for good. */
  onError(err: ProtocolError): void;
}

/** Parser configuration; see `ConnectionOptions` for the meaning of each limit. */
export interface FrameParserOptions {
  /** The role of the endpoint that receives: a server requires masked frames, a client forbids them. */
  role: 'client' | 'server';
  maxPayload?: number;
  maxFragments?: number;
  rsv1Allowed?: boolean;
  isUtf8?: (bytes: Uint8Array) => boolean;
  /** Source of the buffers spanning payloads are joined into. @default zero-filled Uint8Array */
  allocate?: Allocate;
  /** How payloads are unmasked (the server injects WebAssembly SIMD). @default jsUnmasker */
  unmasker?: Unmasker;
}

/** Streaming frame parser; messages are assembled by its {@link MessageAssembler}. */
export class FrameParser {
  private readonly queue: ByteQueue;
  private readonly allocate: Allocate;
  private readonly unmasker: Unmasker;
  private readonly sink: FrameParserSink;
  private readonly expectMasked: boolean;
  private readonly maxPayload: number;
  private readonly maxFragments: number;
  private readonly rsv1Allowed: boolean;
  private readonly message: MessageAssembler;
  private state: ParserState = HEADER;
  private running = false;
  private errored = false;
  // The frame being read.
  private fin = false;
  private opcode = 0;
  private masked = false;
  private payloadLength = 0;
  /** The 4-byte masking key, packed big-endian: a number costs nothing per parser, an array ~190 bytes. */
  private maskKey = 0;
  /** Payload bytes already unmasked and validated while still in the queue. */
  private scanned = 0;
  /** Payload of a frame trickled in too many chunks, filled (unmasked, validated) as bytes arrive. */
  private partial: Uint8Array | null = null;
  private partialFilled = 0;

  constructor(options: FrameParserOptions, sink: FrameParserSink) {
    this.sink = sink;
    this.allocate = options.allocate ?? allocateZeroed;
    this.unmasker = options.unmasker ?? jsUnmasker;
    this.queue = new ByteQueue(this.allocate);
    this.expectMasked = options.role === 'server';
    this.maxPayload = options.maxPayload ?? DEFAULTS.maxPayload;
    this.maxFragments = options.maxFragments ?? DEFAULTS.maxFragments;
    this.rsv1Allowed = options.rsv1Allowed ?? DEFAULTS.rsv1Allowed;
    this.message = new MessageAssembler(this.maxPayload, this.allocate, options.isUtf8 ?? isValidUtf8, sink);
  }

  /** True once a protocol error was reported. */
  get hasErrored(): boolean {
    return this.errored;
  }

  /** True once the parser stopped (error, close frame, or {@link halt}). */
  get isDone(): boolean {
    return this.state === DONE;
  }

  /** Bytes received but not yet consumed (at most a partial header: payloads are drained as they come). */
  get bufferedBytes(): number {
    return this.queue.length;
  }

  /** Chunks held by the input queue. */
  get bufferedChunks(): number {
    return this.queue.chunkCount;
  }

  /**
   * Feed bytes from the transport. The chunk is handed over: masked payloads are unmasked in
   * place and emitted messages may be views of it. Re-entrant calls (from a sink callback) queue.
   */
  push(chunk: Uint8Array): void {
    if (this.state === DONE) return;
    this.queue.push(chunk);
    if (this.running) return;
    this.running = true;
    // A sink (ultimately a user listener) may throw; the loop's state is consistent at every
    // sink call, so the next push resumes where this one stopped instead of queueing forever.
    try {
      this.run();
    } finally {
      this.running = false;
    }
  }

  /** Stop for good and release buffers (the connection closed). */
  halt(): void {
    this.state = DONE;
    this.release();
  }

  private run(): void {
    for (;;) {
      let progressed: boolean;
      switch (this.state) {
        case HEADER:
          progressed = this.readHeader();
          break;
        case LENGTH_16:
          progressed = this.readLength16();
          break;
        case LENGTH_64:
          progressed = this.readLength64();
          break;
        case MASK_KEY:
          progressed = this.readMaskKey();
          break;
        case PAYLOAD:
          progressed = this.readPayload();
          break;
        case DONE:
          return;
        default:
          return assertNever(this.state, 'parser');
      }
      if (!progressed) return;
    }
  }

  private readHeader(): boolean {
    const queue = this.queue;
    if (queue.length < 2) return false;
    const b0 = queue.byteAt(0);
    const b1 = queue.byteAt(1);
    queue.skip(2);
    const fin = (b0 & 0x80) !== 0;
    const rsv1 = (b0 & 0x40) !== 0;
    const opcode = b0 & 0x0f;
    const masked = (b1 & 0x80) !== 0;
    const length7 = b1 & 0x7f;
    // RFC 6455 §5.2: RSV2/RSV3 must be 0 (no negotiated extension defines them).
    if ((b0 & 0x30) !== 0) return this.fail(ErrorCodes.UnexpectedRsv, 'RSV2 and RSV3 must be clear');
    // RFC 6455 §5.2: opcodes 3-7 and 11-15 are reserved.
    if (!isKnownOpcode(opcode)) return this.fail(ErrorCodes.InvalidOpcode, `Invalid opcode ${opcode}`);
    if (isControlOpcode(opcode)) {
      // RFC 7692 §6: RSV1 marks a compressed data message; control frames are never compressed.
      if (rsv1) return this.fail(ErrorCodes.UnexpectedRsv, 'RSV1 must be clear on a control frame');
      // RFC 6455 §5.5: control frames are never fragmented and carry at most 125 bytes.
      if (!fin) return this.fail(ErrorCodes.FragmentedControlFrame, 'Control frames must not be fragmented');
      if (length7 > MAX_CONTROL_PAYLOAD_BYTES) {
        return this.fail(ErrorCodes.ControlFrameTooLong, 'Control frame payload exceeds 125 bytes');
      }
    } else if (opcode === Opcodes.Continuation) {
      // RFC 6455 §5.4: a continuation frame needs a message in progress.
      if (!this.message.inProgress) return this.fail(ErrorCodes.UnexpectedContinuation, 'No message to continue');
      // RFC 7692 §6.1: RSV1 is set on the first frame of a message only.
      if (rsv1) return this.fail(ErrorCodes.UnexpectedRsv, 'RSV1 must be clear on a continuation frame');
      // Bound the work and memory a stream of tiny fragments can cost.
      if (this.message.addFrame() > this.maxFragments) {
        return this.fail(ErrorCodes.TooManyFragments, 'Too many fragments', CloseCodes.MessageTooBig);
      }
    } else {
      // RFC 6455 §5.4: a new data message may not start inside a fragmented one.
      if (this.message.inProgress) return this.fail(ErrorCodes.ExpectedContinuation, 'Expected a continuation frame');
      // RFC 6455 §5.2: RSV1 only when an extension (permessage-deflate) was negotiated.
      if (rsv1 && !this.rsv1Allowed) return this.fail(ErrorCodes.UnexpectedRsv, 'RSV1 must be clear');
      this.message.start(opcode, rsv1);
    }
    // RFC 6455 §5.1: clients mask every frame, servers never do.
    if (masked !== this.expectMasked) {
      return masked
        ? this.fail(ErrorCodes.UnexpectedMask, 'Frames from a server must not be masked')
        : this.fail(ErrorCodes.ExpectedMask, 'Frames from a client must be masked');
    }
    this.fin = fin;
    this.opcode = opcode;
    this.masked = masked;
    if (length7 === 126) this.state = LENGTH_16;
    else if (length7 === 127) this.state = LENGTH_64;
    else return this.lengthKnown(length7);
    return true;
  }

  private readLength16(): boolean {
    const queue = this.queue;
    if (queue.length < 2) return false;
    const length = (queue.byteAt(0) << 8) | queue.byteAt(1);
    queue.skip(2);
    // RFC 6455 §5.2: "the minimal number of bytes MUST be used to encode the length".
    if (length < 126) return this.fail(ErrorCodes.NonMinimalLength, 'Non-minimal 16-bit payload length');
    return this.lengthKnown(length);
  }

  private readLength64(): boolean {
    const queue = this.queue;
    if (queue.length < 8) return false;
    const high = queue.uint32At(0);
    const low = queue.uint32At(4);
    queue.skip(8);
    // RFC 6455 §5.2: "the most significant bit MUST be 0".
    if (high >= 0x8000_0000) return this.fail(ErrorCodes.InvalidLength, 'The 64-bit length has its top bit set');
    const length = high * 0x1_0000_0000 + low;
    // RFC 6455 §5.2: minimal encoding — 64 bits only for lengths above 65535.
    if (length < 0x1_0000) return this.fail(ErrorCodes.NonMinimalLength, 'Non-minimal 64-bit payload length');
    return this.lengthKnown(length);
  }

  /** The length is known: check it against the message limit before a single payload byte is kept. */
  private lengthKnown(length: number): boolean {
    if (!isControlOpcode(this.opcode) && this.message.byteLength + length > this.maxPayload) {
      return this.fail(ErrorCodes.MessageTooBig, 'Message exceeds maxPayload', CloseCodes.MessageTooBig);
    }
    this.payloadLength = length;
    this.state = this.masked ? MASK_KEY : PAYLOAD;
    return true;
  }

  private readMaskKey(): boolean {
    if (this.queue.length < 4) return false;
    this.maskKey = this.queue.uint32At(0);
    this.queue.skip(4);
    this.state = PAYLOAD;
    return true;
  }

  /**
   * A payload that arrived whole is taken as a view and unmasked in place; one that spans chunks
   * waits in the queue and is taken in one pass that unmasks while copying into its joined buffer.
   * Plain text is the exception: each arriving piece is unmasked and UTF-8-checked in place (fail
   * fast), then copied. Only if the peer trickles a payload in more than MAX_QUEUED_CHUNKS pieces
   * does it move to a growing buffer, which bounds the chunk list.
   */
  private readPayload(): boolean {
    if (this.partial !== null) return this.fillPartial();
    const queue = this.queue;
    const length = this.payloadLength;
    if (this.scanned === 0 && queue.length >= length) {
      const payload = this.masked ? queue.consumeUnmasked(length, this.unmasker, this.maskKey) : queue.consume(length);
      return this.frameComplete(payload, false);
    }
    const available = Math.min(queue.length, length);
    if (this.streamsText()) {
      while (this.scanned < available) {
        const piece = queue.pieceAt(this.scanned, available - this.scanned);
        if (!this.acceptPiece(piece, this.scanned)) return false;
        this.scanned += piece.length;
      }
      if (available === length) {
        this.scanned = 0;
        return this.frameComplete(queue.consume(length), true);
      }
    }
    if (queue.chunkCount > MAX_QUEUED_CHUNKS) {
      const partial = this.allocate(Math.min(length, Math.max(2 * available, PREALLOC_BYTES)));
      queue.readInto(partial, 0, available);
      // Bytes not yet scanned in the queue (all of them unless plain text) are still masked.
      if (!this.acceptPiece(partial.subarray(this.scanned, available), this.scanned)) return false;
      this.partial = partial;
      this.partialFilled = available;
      this.scanned = 0;
    }
    return false;
  }

  /** Is this frame's payload plain text, validated piece by piece as it arrives (RFC 6455 §8.1: fail fast)? */
  private streamsText(): boolean {
    return !isControlOpcode(this.opcode) && this.message.isPlainText;
  }

  /** Unmask and validate the next piece of a payload, in place; `offset`: its position in the payload. */
  private acceptPiece(piece: Uint8Array, offset: number): boolean {
    if (this.masked) this.unmasker.unmask(piece, this.maskKey, offset);
    if (this.streamsText() && !this.message.checkPiece(piece)) {
      return this.fail(ErrorCodes.InvalidUtf8, 'Invalid UTF-8 in a text message', CloseCodes.InvalidPayload);
    }
    return true;
  }

  /** Drain what has arrived of a trickled payload into its growing buffer. */
  private fillPartial(): boolean {
    const filled = this.partialFilled;
    const take = Math.min(this.queue.length, this.payloadLength - filled);
    if (take === 0) return false;
    let partial = this.partial!;
    if (filled + take > partial.length) {
      // Grow geometrically, never past the frame's size: memory stays within 2x what arrived.
      const grown = this.allocate(Math.min(this.payloadLength, Math.max(filled + take, partial.length * 2)));
      grown.set(partial.subarray(0, filled));
      this.partial = partial = grown;
    }
    this.queue.readInto(partial, filled, take);
    if (!this.acceptPiece(partial.subarray(filled, filled + take), filled)) return false;
    this.partialFilled = filled + take;
    if (this.partialFilled < this.payloadLength) return false;
    this.partial = null;
    return this.frameComplete(partial, true);
  }

  /** A frame's payload is complete (`streamed`: its bytes were already fed to the validator). */
  private frameComplete(payload: Uint8Array, streamed: boolean): boolean {
    this.state = HEADER;
    const opcode = this.opcode;
    if (isControlOpcode(opcode)) {
      // RFC 6455 §5.5.1: after a close frame nothing more is read.
      if (opcode === Opcodes.Close) this.halt();
      this.sink.onControl(opcode, payload);
      return true;
    }
    // RFC 6455 §8.1: text must be valid UTF-8 → 1007.
    if (this.message.frame(payload, this.fin, streamed)) return true;
    return this.fail(ErrorCodes.InvalidUtf8, 'Invalid UTF-8 in a text message', CloseCodes.InvalidPayload);
  }

  private release(): void {
    this.queue.clear();
    this.scanned = 0;
    this.partial = null;
    this.message.reset();
  }

  /** Latch the error, drop every buffer, report once. Returns false so the loop stops. */
  private fail(code: string, message: string, closeCode: number = CloseCodes.ProtocolError): false {
    this.errored = true;
    this.halt();
    this.sink.onError(new ProtocolError(code, message, closeCode));
    return false;
  }
}

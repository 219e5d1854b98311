/**
 * Assembly of one data message from its frames, for the {@link FrameParser}: which message is in
 * progress, its size and fragment count, where its fragments are kept until they are joined, and
 * which UTF-8 check a text message gets (whole-message fast path or the streaming validator).
 */
import type { Allocate } from './constants.js';
import { Opcodes } from './constants.js';
import { FragmentBuffer } from './fragment-buffer.js';
import { Utf8Validator } from './utf8.js';

const EMPTY = new Uint8Array(0);

/** Where a complete message goes (the parser's sink). */
export interface MessageSink {
  /** A complete data message; `compressed` when RSV1 was set on its first frame. */
  onMessage(data: Uint8Array, isBinary: boolean, compressed: boolean): void;
}

/** The data message being received (at most one at a time: RFC 6455 §5.4 forbids interleaving). */
export class MessageAssembler {
  private readonly maxPayload: number;
  private readonly allocate: Allocate;
  private readonly isUtf8: (bytes: Uint8Array) => boolean;
  private readonly sink: MessageSink;
  /** Opcode of the message in progress; 0: none. */
  private opcode = 0;
  private compressed = false;
  private bytes = 0;
  private fragmentCount = 0;
  // Created on first use: most messages are one frame of valid text or binary.
  private fragments: FragmentBuffer | null = null;
  private validator: Utf8Validator | null = null;

  constructor(maxPayload: number, allocate: Allocate, isUtf8: (bytes: Uint8Array) => boolean, sink: MessageSink) {
    this.maxPayload = maxPayload;
    this.allocate = allocate;
    this.isUtf8 = isUtf8;
    this.sink = sink;
  }

  /** Is a fragmented message waiting for its continuation frames? */
  get inProgress(): boolean {
    return this.opcode !== 0;
  }

  /** Payload bytes of the message so far (compressed size when RSV1 was set). */
  get byteLength(): number {
    return this.bytes;
  }

  /** A text message whose UTF-8 the engine checks (compressed text is checked after inflating). */
  get isPlainText(): boolean {
    return this.opcode === Opcodes.Text && !this.compressed;
  }

  /** A first frame (text or binary) arrived. */
  start(opcode: number, compressed: boolean): void {
    this.opcode = opcode;
    this.compressed = compressed;
    this.bytes = 0;
    this.fragmentCount = 1;
    this.validator?.reset();
  }

  /** A continuation frame arrived; returns the message's frame count so far. */
  addFrame(): number {
    return ++this.fragmentCount;
  }

  /** Validate the next piece of a plain-text payload as it arrives (fail fast); false: invalid UTF-8. */
  checkPiece(piece: Uint8Array): boolean {
    return this.utf8().push(piece, false);
  }

  /**
   * A frame's payload is complete (`streamed`: its bytes already went through {@link checkPiece}).
   * On the final frame the message is reset, then handed to the sink. False: invalid UTF-8.
   */
  frame(payload: Uint8Array, fin: boolean, streamed: boolean): boolean {
    this.bytes += payload.length;
    const single = fin && this.fragmentCount === 1;
    if (this.isPlainText) {
      let valid: boolean;
      if (streamed) valid = !fin || this.utf8().push(EMPTY, true);
      else valid = single ? this.isUtf8(payload) : this.utf8().push(payload, fin);
      if (!valid) return false;
    }
    if (single) return this.deliver(payload);
    const fragments = (this.fragments ??= new FragmentBuffer(this.maxPayload, this.allocate));
    fragments.append(payload);
    return fin ? this.deliver(fragments.take()) : true;
  }

  /** Forget the message in progress (error, close, halt). */
  reset(): void {
    this.opcode = 0;
    this.compressed = false;
    this.bytes = 0;
    this.fragmentCount = 0;
    this.fragments?.clear();
  }

  private utf8(): Utf8Validator {
    return (this.validator ??= new Utf8Validator(this.isUtf8));
  }

  /** Reset first, so a sink that throws or re-enters finds a consistent assembler. */
  private deliver(data: Uint8Array): true {
    const isBinary = this.opcode === Opcodes.Binary;
    const compressed = this.compressed;
    this.reset();
    this.sink.onMessage(data, isBinary, compressed);
    return true;
  }
}

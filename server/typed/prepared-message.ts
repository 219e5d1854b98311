/**
 * A broadcast message encoded once and framed once: the envelope's bytes and the RFC 6455 frame
 * around them are built on first use and then written, as the same `Uint8Array`s, to every
 * recipient. Nothing is copied or re-encoded per peer.
 */
import type { BroadcastMessage } from './adapter.js';
import { encodeFrame } from '../../src/rfc6455/frame-writer.js';
import { Opcodes } from '../../src/rfc6455/constants.js';

/** An encoded envelope ready for fan-out. */
export class PreparedMessage implements BroadcastMessage {
  readonly volatile: boolean;
  #data: string | Uint8Array | undefined;
  #utf8: Uint8Array | undefined;
  #frame: readonly Uint8Array[] | undefined;

  constructor(data: string | Uint8Array, volatile: boolean) {
    this.#data = data;
    this.volatile = volatile;
  }

  /**
   * A text envelope whose UTF-8 bytes are already at hand (a message from another node): framed
   * from those bytes, decoded to a string only if something asks for `data`.
   */
  static fromUtf8(utf8: Uint8Array, volatile: boolean): PreparedMessage {
    const message = new PreparedMessage('', volatile);
    message.#data = undefined;
    message.#utf8 = utf8;
    return message;
  }

  /** The encoded envelope: a string for a text frame, bytes for a binary frame. */
  get data(): string | Uint8Array {
    this.#data ??= Buffer.from(this.#utf8!.buffer, this.#utf8!.byteOffset, this.#utf8!.byteLength).toString('utf8');
    return this.#data;
  }

  /** True when the envelope goes out as a text frame. */
  get text(): boolean {
    return this.#utf8 !== undefined || typeof this.#data === 'string';
  }

  /** The payload bytes (UTF-8 for text), encoded once and shared with the frame. */
  get payload(): Uint8Array {
    return this.frame[1] ?? new Uint8Array(0);
  }

  /** Payload bytes of the encoded envelope. */
  get payloadBytes(): number {
    return this.frame[1]?.byteLength ?? 0;
  }

  /**
   * The unmasked server frame `[header, payload]` (RFC 6455 §5.1: a server never masks), built
   * once. A text envelope is encoded to UTF-8 here, once, instead of once per socket.
   */
  get frame(): readonly Uint8Array[] {
    if (this.#frame === undefined) {
      const text = this.text;
      const payload = this.#utf8 ?? (text ? Buffer.from(this.#data as string, 'utf8') : (this.#data as Uint8Array));
      this.#frame = encodeFrame(text ? Opcodes.Text : Opcodes.Binary, payload);
    }
    return this.#frame;
  }
}

// Messages that arrive from another node (through a multi-process adapter) are plain objects:
// they are framed once per node, on first delivery.
const foreign = new WeakMap<BroadcastMessage, PreparedMessage>();

/** The {@link PreparedMessage} for any broadcast message (itself when it already is one). */
export function prepared(message: BroadcastMessage): PreparedMessage {
  if (message instanceof PreparedMessage) return message;
  let known = foreign.get(message);
  if (known === undefined) {
    known = new PreparedMessage(message.data, message.volatile);
    foreign.set(message, known);
  }
  return known;
}

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
  readonly data: string | Uint8Array;
  readonly volatile: boolean;
  #frame: readonly Uint8Array[] | undefined;

  constructor(data: string | Uint8Array, volatile: boolean) {
    this.data = data;
    this.volatile = volatile;
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
      const text = typeof this.data === 'string';
      const payload = text ? Buffer.from(this.data as string, 'utf8') : (this.data as Uint8Array);
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

/**
 * RFC 6455 wire constants and the engine's defaults, in one place so the parser, the writer
 * and the connection agree on them.
 */

/** RFC 6455 §5.2 / §11.8: the opcodes defined by the protocol (3-7 and 11-15 are reserved). */
export const Opcodes = {
  Continuation: 0x0,
  Text: 0x1,
  Binary: 0x2,
  Close: 0x8,
  Ping: 0x9,
  Pong: 0xa,
} as const;

/** One of {@link Opcodes}. */
export type Opcode = (typeof Opcodes)[keyof typeof Opcodes];

/** RFC 6455 §5.5: control frames carry at most 125 payload bytes. */
export const MAX_CONTROL_PAYLOAD_BYTES = 125;

/** RFC 6455 §5.5.1: a close reason fits in a control frame after the 2-byte code. */
export const MAX_CLOSE_REASON_BYTES = 123;

/** Is `opcode` one of the control opcodes (close, ping, pong)? RFC 6455 §5.5: their MSB is set. */
export function isControlOpcode(opcode: number): boolean {
  return (opcode & 0x8) !== 0;
}

/** Is `opcode` defined by RFC 6455 (not one of the reserved 3-7, 11-15)? */
export function isKnownOpcode(opcode: number): boolean {
  return opcode <= Opcodes.Binary || (opcode >= Opcodes.Close && opcode <= Opcodes.Pong);
}

/**
 * Allocates the buffer a payload spanning several chunks is joined into. Every byte is written
 * before the buffer is read, so it need not be zeroed (the server injects `Buffer.allocUnsafe`).
 */
export type Allocate = (byteLength: number) => Uint8Array;

/** The portable {@link Allocate}: a zero-filled `Uint8Array` (ECMAScript has no unzeroed one). */
export function allocateZeroed(byteLength: number): Uint8Array {
  return new Uint8Array(byteLength);
}

/** Defaults of the engine's options (see `ConnectionOptions`). */
export const DEFAULTS = Object.freeze({
  /**
   * The largest data message accepted, counted over all its fragments (compressed size when
   * RSV1 is set); the same default as `ws`.
   * @default 104857600 (100 MiB)
   */
  maxPayload: 100 * 1024 * 1024,
  /**
   * The most frames one data message may span. Large enough for Autobahn §9's 16 MiB message
   * in 65,536 fragments of 256 bytes, small enough that a flood of empty fragments ends fast.
   * @default 100000
   */
  maxFragments: 100_000,
  /** @default false — RSV1 is only legal once permessage-deflate was negotiated. */
  rsv1Allowed: false,
  /** @default true — answer every ping with a pong carrying the same payload. */
  autoPong: true,
});

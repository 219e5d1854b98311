/**
 * The sans-I/O RFC 6455 engine. Internal: imported by server/, by client/node/ (the Node
 * WebSocket, client role), tests and benchmarks; never by the browser client, which has its own
 * WebSocket (a build test scans the browser bundles for it).
 *
 * - {@link Connection} — the state machine a socket owner drives: `receive(chunk)` in,
 *   {@link ConnectionHandler} callbacks (`message`, `ping`, `pong`, `closeFrame`, `error`) out;
 *   `send`/`ping`/`pong`/`close` return the frames to write, and only the frames the engine starts
 *   by itself (auto-pong, close echo, `fail`) go out through the handler's `write`.
 * - {@link FrameParser} — the streaming parser it uses (exported for tests and benchmarks).
 * - {@link encodeFrame} / {@link encodeFrameParts} — `[header, payload]` for pre-encoded broadcast frames;
 *   {@link encodeClosePayload}; {@link randomMaskKey}.
 * - {@link applyMask}, {@link isValidUtf8}, {@link Utf8Validator}, {@link Opcodes}, {@link DEFAULTS}.
 * - The opening handshake: {@link validateUpgradeRequest} / {@link acceptUpgrade} (server),
 *   {@link clientUpgradeHeaders} / {@link checkUpgradeResponse} (client), over lowercase header records.
 *
 * Worth knowing: `Connection.wasClean`; `send` defaults to binary; protocol-error close frames carry the
 * code only; `closing-remote` is transient (the engine echoes a peer's close at once).
 */
export { Connection } from './connection.js';
export type { ConnectionHandler, ConnectionOptions, ConnectionState, Frames, Role, SendOptions } from './connection.js';
export { FrameParser } from './frame-parser.js';
export type { FrameParserOptions, FrameParserSink } from './frame-parser.js';
export { assertSendableCloseCode, encodeClosePayload, encodeFrame, encodeFrameParts, randomMaskKey } from './frame-writer.js';
export type { EncodeFrameOptions } from './frame-writer.js';
export { applyMask, applyMaskBytewise, applyPackedMask, jsUnmasker } from './mask.js';
export type { Unmasker } from './mask.js';
export { Utf8Validator, decodeUtf8, encodeUtf8, isValidUtf8, truncateUtf8 } from './utf8.js';
export { ByteQueue } from './byte-queue.js';
export { FragmentBuffer } from './fragment-buffer.js';
export {
  DEFAULTS,
  MAX_CLOSE_REASON_BYTES,
  MAX_CONTROL_PAYLOAD_BYTES,
  Opcodes,
  isControlOpcode,
  isKnownOpcode,
} from './constants.js';
export type { Opcode } from './constants.js';
export { isTchar, isToken } from './http-token.js';
// The generic extension header scanner, and permessage-deflate negotiation on top of it.
export * from './extension-header.js';
export * from './permessage-deflate-params.js';
// The opening handshake as pure functions: header helpers, the server's rules, the client's check.
export * from './http-headers.js';
export * from './upgrade.js';
export * from './upgrade-client.js';

import { CloseCodes } from './close-codes.js';

/**
 * Every error Tandem raises carries a stable string `code`, listed here and in the README.
 * Match on `code` (or use the `is…`/`closeCodeOf` helpers), not on `instanceof`: when both the
 * ESM and the CJS build are loaded, the classes exist twice.
 */
export const ErrorCodes = {
  // RFC 6455 framing (a peer's fault → ProtocolError with a closeCode)
  InvalidOpcode: 'ERR_INVALID_OPCODE',
  UnexpectedRsv: 'ERR_UNEXPECTED_RSV',
  ExpectedMask: 'ERR_EXPECTED_MASK',
  UnexpectedMask: 'ERR_UNEXPECTED_MASK',
  ControlFrameTooLong: 'ERR_CONTROL_FRAME_TOO_LONG',
  FragmentedControlFrame: 'ERR_FRAGMENTED_CONTROL_FRAME',
  UnexpectedContinuation: 'ERR_UNEXPECTED_CONTINUATION',
  ExpectedContinuation: 'ERR_EXPECTED_CONTINUATION',
  NonMinimalLength: 'ERR_NON_MINIMAL_LENGTH',
  InvalidLength: 'ERR_INVALID_LENGTH',
  MessageTooBig: 'ERR_MESSAGE_TOO_BIG',
  TooManyFragments: 'ERR_TOO_MANY_FRAGMENTS',
  InvalidUtf8: 'ERR_INVALID_UTF8',
  InvalidCloseCode: 'ERR_INVALID_CLOSE_CODE',
  InvalidClosePayload: 'ERR_INVALID_CLOSE_PAYLOAD',
  InflateFailed: 'ERR_INFLATE_FAILED',
  // extension negotiation (RFC 6455 §9.1, RFC 7692 §5)
  InvalidExtensionHeader: 'ERR_INVALID_EXTENSION_HEADER',
  ExtensionNegotiationFailed: 'ERR_EXTENSION_NEGOTIATION_FAILED',
  // opening handshake, client side (RFC 6455 §4.1): the server's answer, or the way to it, failed
  HandshakeStatus: 'ERR_HANDSHAKE_STATUS',
  HandshakeUpgrade: 'ERR_HANDSHAKE_UPGRADE',
  HandshakeConnection: 'ERR_HANDSHAKE_CONNECTION',
  HandshakeAccept: 'ERR_HANDSHAKE_ACCEPT',
  HandshakeProtocol: 'ERR_HANDSHAKE_PROTOCOL',
  HandshakeTimeout: 'ERR_HANDSHAKE_TIMEOUT',
  HandshakeAborted: 'ERR_HANDSHAKE_ABORTED',
  InvalidHttpResponse: 'ERR_INVALID_HTTP_RESPONSE',
  ConnectFailed: 'ERR_CONNECT_FAILED',
  /** The `http2` option, and the server's HTTP/2 SETTINGS did not allow extended CONNECT (RFC 8441 §3). */
  HandshakeNoExtendedConnect: 'ERR_HANDSHAKE_NO_EXTENDED_CONNECT',
  // connection lifecycle
  CloseTimeout: 'ERR_CLOSE_TIMEOUT',
  SlowConsumer: 'ERR_SLOW_CONSUMER',
  // admission (an `authenticate` hook refused the handshake: AuthenticationError, HTTP 401 / 403)
  Unauthorized: 'ERR_UNAUTHORIZED',
  Forbidden: 'ERR_FORBIDDEN',
  // local misuse
  InvalidState: 'ERR_INVALID_STATE',
  InvalidArgument: 'ERR_INVALID_ARGUMENT',
  InvalidUrl: 'ERR_INVALID_URL',
  QueueFull: 'ERR_QUEUE_FULL',
  /** A payload JSON cannot carry (BigInt, a cycle, a function, a Map, undefined in an array…; an object's undefined field is omitted). */
  UnserializablePayload: 'ERR_UNSERIALIZABLE_PAYLOAD',
  /** A connection attempt failed before the handshake completed (refused, HTTP status, timeout). */
  ConnectionFailed: 'ERR_CONNECTION_FAILED',
  /** A listener or handler threw something that is not an Error. */
  NonErrorThrown: 'ERR_NON_ERROR_THROWN',
  // typed protocol (envelopes)
  InvalidEnvelope: 'ERR_INVALID_ENVELOPE',
  UnsupportedVersion: 'ERR_UNSUPPORTED_VERSION',
  UnknownResponse: 'ERR_UNKNOWN_RESPONSE',
  Disconnected: 'ERR_DISCONNECTED',
  InvalidPayload: 'ERR_INVALID_PAYLOAD',
} as const;

/** A code from {@link ErrorCodes}. */
export type ErrorCode = (typeof ErrorCodes)[keyof typeof ErrorCodes];

/** Base class of every Tandem error. */
export class TandemError extends Error {
  /** Stable, machine-readable identifier, e.g. `ERR_INVALID_OPCODE`. */
  readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/**
 * A peer broke the protocol. `closeCode` is the close code the connection is failed with;
 * exactly one place per end (the socket owner) turns it into a close frame.
 */
export class ProtocolError extends TandemError {
  /** Marks the class across duplicate module copies (ESM + CJS) for {@link isProtocolError}. */
  readonly isProtocolError = true as const;
  readonly closeCode: number;

  constructor(code: string, message: string, closeCode: number = CloseCodes.ProtocolError) {
    super(code, message);
    this.closeCode = closeCode;
  }
}

/**
 * Local misuse caught before anything happens: a bad option, argument or URL. A `TypeError`, as a
 * JavaScript API throws for a bad argument, plus Tandem's `code` (`ERR_INVALID_ARGUMENT`,
 * `ERR_INVALID_URL`, `ERR_UNSERIALIZABLE_PAYLOAD`).
 */
export class TandemTypeError extends TypeError {
  /** Stable, machine-readable identifier. */
  readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TypeError';
    this.code = code;
  }
}

/**
 * What a listener or handler threw, as an `Error`: itself when it is one, else a TandemError
 * `ERR_NON_ERROR_THROWN` carrying the value as `cause` (so `error` events are always Errors).
 */
export function asError(thrown: unknown): Error {
  if (thrown instanceof Error) return thrown;
  return new TandemError(ErrorCodes.NonErrorThrown, `non-Error thrown: ${String(thrown)}`, { cause: thrown });
}

/** Local misuse: an operation that the current state does not allow (send after close…). */
export class StateError extends TandemError {
  constructor(message: string, code: string = ErrorCodes.InvalidState) {
    super(code, message);
  }
}

/** Is `err` a {@link ProtocolError} (from any copy of this module)? */
export function isProtocolError(err: unknown): err is ProtocolError {
  return typeof err === 'object' && err !== null && (err as { isProtocolError?: unknown }).isProtocolError === true;
}

/** The close code an error causes, or `undefined` when it is not a protocol error. */
export function closeCodeOf(err: unknown): number | undefined {
  return isProtocolError(err) ? err.closeCode : undefined;
}

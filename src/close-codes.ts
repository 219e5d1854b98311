/**
 * The one close-code table (RFC 6455 §7.4.1 plus Tandem's own 4xxx range).
 *
 * Tandem's application codes (sent by Tandem itself, documented in docs/protocol.md):
 * - 4000 HeartbeatTimeout: the client saw no inbound traffic within `heartbeat.timeout`.
 * - 4001 HelloTimeout: the server received no hello envelope in time.
 * - 4400-4499 are "do not come back" codes: a client does not reconnect after them
 *   (4401 Unauthorized, 4403 Forbidden are Tandem's; the rest of the range is the application's).
 */
export const CloseCodes = {
  NormalClosure: 1000,
  GoingAway: 1001,
  ProtocolError: 1002,
  UnsupportedData: 1003,
  /** Never on the wire: "no status code was present". */
  NoStatusReceived: 1005,
  /** Never on the wire: "the connection closed without a close frame". */
  AbnormalClosure: 1006,
  InvalidPayload: 1007,
  PolicyViolation: 1008,
  MessageTooBig: 1009,
  MandatoryExtension: 1010,
  InternalError: 1011,
  ServiceRestart: 1012,
  TryAgainLater: 1013,
  BadGateway: 1014,
  /** Never on the wire: TLS handshake failure. */
  TlsHandshake: 1015,
  HeartbeatTimeout: 4000,
  HelloTimeout: 4001,
  /** Browsers may only send 1000 and 3000-4999: the client's stand-ins for 1003, 1007 and 1008. */
  ClientUnsupportedData: 4003,
  ClientInvalidPayload: 4007,
  ClientPolicyViolation: 4008,
  Unauthorized: 4401,
  Forbidden: 4403,
  /** Session resume: another connection resumed this session (docs/protocol.md §10.3); do not reconnect. */
  SessionTakenOver: 4409,
} as const;

/** A close code named in {@link CloseCodes}. */
export type CloseCode = (typeof CloseCodes)[keyof typeof CloseCodes];

/**
 * RFC 6455 §7.4: may `code` appear in a close frame on the wire?
 * 1000-1003, 1007-1014 (registered) and 3000-4999 (registered / private use) may.
 */
export function isValidWireCloseCode(code: number): boolean {
  if (!Number.isInteger(code)) return false;
  if (code >= 3000 && code <= 4999) return true;
  return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014);
}

/** Tandem's "do not come back" range: a client never reconnects after these. */
export function isFatalCloseCode(code: number): boolean {
  return code === CloseCodes.PolicyViolation || (code >= 4400 && code <= 4499);
}

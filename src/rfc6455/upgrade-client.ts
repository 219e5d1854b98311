/**
 * The client side of the opening handshake as pure functions (RFC 6455 §4.1): the request
 * headers an offer sends, and the check of the server's answer — status, `Upgrade` and
 * `Connection` tokens, `Sec-WebSocket-Accept` against the key, the subprotocol among those
 * offered, the extensions among those offered. A wrong answer is a {@link HandshakeError} value
 * with a specific `code`, never an exception. Header records use lowercase names.
 */
import { ErrorCodes, TandemError } from '../errors.js';
import { parseExtensionHeader } from './extension-header.js';
import type { Extension } from './extension-header.js';
import type { HeaderRecord } from './http-headers.js';
import { headerHasToken, headerValue, isSafeHeaderValue } from './http-headers.js';
import { isToken } from './http-token.js';
import { computeAcceptKey, isValidKey } from './upgrade.js';
import type { Sha1Base64 } from './upgrade.js';

/** The opening handshake failed: the server's answer was wrong, or the way to it broke. */
export class HandshakeError extends TandemError {
  /** The HTTP status the server answered, when it answered one. */
  readonly status: number | undefined;
  /** The first bytes of the response body (a refusal's explanation), when there was one. */
  readonly body: string | undefined;

  constructor(code: string, message: string, options: { status?: number | undefined; body?: string | undefined; cause?: unknown } = {}) {
    super(code, message, options.cause === undefined ? undefined : { cause: options.cause });
    this.status = options.status;
    this.body = options.body;
  }
}

/** What the client offers. */
export interface ClientUpgradeOffer {
  /** base64 of 16 random bytes (RFC 6455 §4.1 item 7), fresh for every connection. */
  readonly key: string;
  /** Subprotocols, in order of preference (distinct tokens). */
  readonly protocols: readonly string[];
  /** The `Sec-WebSocket-Extensions` offer, if any (e.g. from `offerPerMessageDeflate`). */
  readonly extensions?: string | undefined;
}

/** What the server's answer settled. */
export interface ClientUpgradeAccept {
  readonly kind: 'accepted';
  /** The subprotocol the server chose, `''` for none. */
  readonly protocol: string;
  /** The extensions the server accepted, parsed (each one was offered). */
  readonly extensions: readonly Extension[];
}

/** The server's answer as the client's rules read it. */
export interface UpgradeResponseHead {
  readonly status: number;
  /** Lowercase names. */
  readonly headers: HeaderRecord;
}

/**
 * Throws a TypeError unless `protocols` is a list of distinct tokens — what the WHATWG
 * `WebSocket` constructor reports as a SyntaxError (RFC 6455 §4.1 item 10).
 */
export function assertValidProtocols(protocols: readonly string[]): void {
  const seen = new Set<string>();
  for (const p of protocols) {
    if (!isToken(p) || seen.has(p)) throw new TypeError(`Invalid subprotocol ${JSON.stringify(p)}: protocols must be distinct tokens`);
    seen.add(p);
  }
}

/**
 * The WebSocket-specific request headers of `offer` (RFC 6455 §4.1 items 5-11), lowercase; the
 * transport adds `host` and the application's own headers. Throws a TypeError on an invalid key,
 * subprotocol list or extension offer: those are the caller's mistakes, not the server's.
 */
export function clientUpgradeHeaders(offer: ClientUpgradeOffer): Record<string, string> {
  if (!isValidKey(offer.key)) throw new TypeError('The key must be base64 of 16 bytes');
  // The same version, subprotocol and extension headers as an extended CONNECT, after the key.
  return { upgrade: 'websocket', connection: 'Upgrade', 'sec-websocket-key': offer.key, ...extendedConnectHeaders(offer) };
}

/**
 * Checks the server's answer to `offer` (RFC 6455 §4.1, "the client MUST fail the WebSocket
 * connection" items 1-6). The accepted extensions are only checked to be among those offered;
 * their parameters are the extension's business (e.g. `validatePerMessageDeflateResponse`).
 */
export function checkUpgradeResponse(
  response: UpgradeResponseHead,
  offer: ClientUpgradeOffer,
  sha1Base64: Sha1Base64,
): ClientUpgradeAccept | HandshakeError {
  const h = response.headers;
  const status = response.status;
  // §4.1 item 1: anything but 101 means no WebSocket (redirects are not followed: §4.1 "MAY").
  if (status !== 101) return failed(ErrorCodes.HandshakeStatus, `Unexpected server response: ${status}`, status);
  // §4.1 item 2: Upgrade is "websocket", ASCII case-insensitive.
  if (!headerHasToken(headerValue(h, 'upgrade'), 'websocket')) return failed(ErrorCodes.HandshakeUpgrade, 'The 101 response has no "Upgrade: websocket"', status);
  // §4.1 item 3: Connection contains "Upgrade", ASCII case-insensitive.
  if (!headerHasToken(headerValue(h, 'connection'), 'upgrade')) return failed(ErrorCodes.HandshakeConnection, 'The 101 response has no "Connection: Upgrade"', status);
  // §4.1 item 4: Sec-WebSocket-Accept is base64(SHA-1(key + GUID)), compared exactly.
  const accept = headerValue(h, 'sec-websocket-accept');
  if (accept === undefined) return failed(ErrorCodes.HandshakeAccept, 'The 101 response has no Sec-WebSocket-Accept', status);
  if (accept.trim() !== computeAcceptKey(offer.key, sha1Base64)) return failed(ErrorCodes.HandshakeAccept, 'Sec-WebSocket-Accept does not match the key', status);
  return checkSelections(h, offer, status);
}

/**
 * RFC 8441 §4-5: the WebSocket headers of an extended CONNECT over HTTP/2 — the version, the
 * subprotocols and the extension offer; no Upgrade, Connection or key. The transport adds the
 * pseudo-headers (`:method CONNECT`, `:protocol websocket`, `:scheme`, `:path`, `:authority`).
 * Throws a TypeError on an invalid subprotocol list or extension offer.
 */
export function extendedConnectHeaders(offer: Pick<ClientUpgradeOffer, 'protocols' | 'extensions'>): Record<string, string> {
  assertValidProtocols(offer.protocols);
  const headers: Record<string, string> = { 'sec-websocket-version': '13' };
  if (offer.protocols.length > 0) headers['sec-websocket-protocol'] = offer.protocols.join(', ');
  const extensions = offer.extensions ?? '';
  if (extensions !== '') {
    if (!isSafeHeaderValue(extensions)) throw new TypeError('Invalid Sec-WebSocket-Extensions offer');
    headers['sec-websocket-extensions'] = extensions;
  }
  return headers;
}

/**
 * Checks the answer to an extended CONNECT (RFC 8441 §5): a 2xx status accepts (RFC 9113 §8.5:
 * any 2xx answers a CONNECT; there is no accept key to check), then the subprotocol and
 * extensions as over HTTP/1.1 (RFC 6455 §4.1 items 5-6).
 */
export function checkExtendedConnectResponse(
  response: UpgradeResponseHead,
  offer: Pick<ClientUpgradeOffer, 'protocols' | 'extensions'>,
): ClientUpgradeAccept | HandshakeError {
  const status = response.status;
  if (status < 200 || status > 299) return failed(ErrorCodes.HandshakeStatus, `Unexpected server response: ${status}`, status);
  return checkSelections(response.headers, offer, status);
}

/** RFC 6455 §4.1 items 5-6: the subprotocol and the extensions the server chose were offered. */
function checkSelections(h: HeaderRecord, offer: Pick<ClientUpgradeOffer, 'protocols' | 'extensions'>, status: number): ClientUpgradeAccept | HandshakeError {
  // §4.1 item 6: a subprotocol the client did not offer fails the connection.
  const protocol = (headerValue(h, 'sec-websocket-protocol') ?? '').trim();
  if (protocol !== '' && !offer.protocols.includes(protocol)) {
    return failed(ErrorCodes.HandshakeProtocol, `The server chose subprotocol "${protocol}", which was not offered`, status);
  }
  const extensions = checkExtensions(headerValue(h, 'sec-websocket-extensions'), offer.extensions, status);
  if (extensions instanceof HandshakeError) return extensions;
  return { kind: 'accepted', protocol, extensions };
}

/** §4.1 item 5: every extension in the answer must have been offered, once. */
function checkExtensions(answer: string | undefined, offered: string | undefined, status: number): Extension[] | HandshakeError {
  let accepted: Extension[];
  try {
    accepted = parseExtensionHeader(answer);
  } catch (err) {
    return failed(ErrorCodes.InvalidExtensionHeader, (err as Error).message, status);
  }
  if (accepted.length === 0) return accepted;
  // Our own offer was built by us; a malformed one is a bug, reported as such.
  const offeredNames = new Set(parseExtensionHeader(offered).map((e) => e.name));
  const seen = new Set<string>();
  for (const ext of accepted) {
    if (!offeredNames.has(ext.name)) return failed(ErrorCodes.ExtensionNegotiationFailed, `The server accepted extension "${ext.name}", which was not offered`, status);
    if (seen.has(ext.name)) return failed(ErrorCodes.ExtensionNegotiationFailed, `The server accepted extension "${ext.name}" twice`, status);
    seen.add(ext.name);
  }
  return accepted;
}

function failed(code: string, message: string, status: number): HandshakeError {
  return new HandshakeError(code, message, { status });
}

/**
 * The server side of the opening handshake as pure functions (RFC 6455 §4.2, and RFC 8441's
 * extended CONNECT for WebSocket over HTTP/2): a request head in, the offer it makes or a
 * refusal out; then the server's choices in, the response (status and headers) out. Transports
 * (HTTP/1.1 `upgrade`, HTTP/2 streams) adapt their request objects to {@link UpgradeRequestHead}
 * and write the answer; the application's own gate (origin, authentication) runs between the
 * two steps. Every header record here, in and out, uses lowercase names.
 *
 * The accept key needs SHA-1, which ECMAScript lacks: the caller passes a {@link Sha1Base64}.
 */
import type { HeaderRecord } from './http-headers.js';
import { headerHasToken, headerValue, splitHeaderList } from './http-headers.js';
import { isToken } from './http-token.js';

/** RFC 6455 §1.3: the GUID appended to the client's key before hashing. */
export const WEBSOCKET_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

/** base64(SHA-1(text)) of a Latin-1 string; supplied by the platform (node:crypto, Web Crypto…). */
export type Sha1Base64 = (text: string) => string;

/** RFC 6455 §4.2.2 item 5.4: `Sec-WebSocket-Accept` = base64(SHA-1(key + GUID)). */
export function computeAcceptKey(key: string, sha1Base64: Sha1Base64): string {
  return sha1Base64(key + WEBSOCKET_GUID);
}

/** What the rules read of a request; Node's `IncomingMessage` and `Http2ServerRequest` fit as they are. */
export interface UpgradeRequestHead {
  readonly method?: string | undefined;
  readonly httpVersionMajor: number;
  readonly httpVersionMinor: number;
  /** Lowercase names; over HTTP/2 the pseudo-headers (`:protocol`) included. */
  readonly headers: HeaderRecord;
}

/** What a valid upgrade request offers. */
export interface UpgradeOffer {
  /** `Sec-WebSocket-Key` as sent; `undefined` over HTTP/2, where RFC 8441 §5 drops the key. */
  readonly key: string | undefined;
  /** `Sec-WebSocket-Protocol`, in the client's order (empty when none was offered). */
  readonly protocols: readonly string[];
  /** The raw `Sec-WebSocket-Extensions` offer, if any. */
  readonly extensions: string | undefined;
  /** The `Origin` header, if any. */
  readonly origin: string | undefined;
}

/** A refused request: the HTTP status, extra response headers (lowercase names) and a short reason. */
export interface UpgradeRefusal {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly reason: string;
}

/** An accepted request: the status (101 over HTTP/1.1, 200 over HTTP/2) and the response headers. */
export interface UpgradeAccept {
  readonly status: 101 | 200;
  /** Lowercase names, in the order they are best written. */
  readonly headers: Readonly<Record<string, string>>;
  /** The selected subprotocol, `''` for none. */
  readonly protocol: string;
  /** The accepted `Sec-WebSocket-Extensions` value, `''` for none. */
  readonly extensions: string;
}

/** What the server chose, for {@link acceptUpgrade}. */
export interface UpgradeChoice {
  /** One of the offered subprotocols, or `''`/`undefined` for none (see {@link chooseSubprotocol}). */
  readonly protocol?: string | undefined;
  /** The accepted extensions as a response header value (`''`/`undefined` for none). */
  readonly extensions?: string | undefined;
}

/** Builds an {@link UpgradeRefusal}. */
export function upgradeRefusal(status: number, reason: string, headers: Record<string, string> = {}): UpgradeRefusal {
  return { status, headers, reason };
}

/** Tells a refusal from an offer or an accept. */
export function isUpgradeRefusal(value: UpgradeOffer | UpgradeAccept | UpgradeRefusal): value is UpgradeRefusal {
  return 'reason' in value;
}

const BASE64 = new Uint8Array(128);
for (const c of 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/') BASE64[c.charCodeAt(0)] = 1;

/** RFC 6455 §4.2.1 item 5: the key is base64 of exactly 16 bytes, i.e. 22 base64 characters and "==". */
export function isValidKey(key: string): boolean {
  if (key.length !== 24 || key.charCodeAt(22) !== 0x3d || key.charCodeAt(23) !== 0x3d) return false;
  for (let i = 0; i < 22; i++) {
    const c = key.charCodeAt(i);
    if (c >= 128 || BASE64[c] !== 1) return false;
  }
  return true;
}

/** Parses `Sec-WebSocket-Protocol`: a list of distinct tokens (RFC 6455 §4.1, §11.3.4), or a refusal. */
export function parseProtocols(value: string | undefined): string[] | UpgradeRefusal {
  if (value === undefined) return [];
  const list = splitHeaderList(value);
  const seen = new Set<string>();
  for (const p of list) {
    if (!isToken(p) || seen.has(p)) return upgradeRefusal(400, 'Invalid Sec-WebSocket-Protocol header');
    seen.add(p);
  }
  return list;
}

/**
 * Validates an upgrade request: RFC 6455 §4.2.1 over HTTP/1.1, RFC 8441 §4-5 over HTTP/2. A
 * wrong or missing version is a 426 with `Sec-WebSocket-Version: 13` (§4.2.2); every other fault
 * is a 400 naming what is wrong.
 */
export function validateUpgradeRequest(head: UpgradeRequestHead): UpgradeOffer | UpgradeRefusal {
  const h = head.headers;
  let key: string | undefined;
  if (head.httpVersionMajor >= 2) {
    const refused = validateExtendedConnect(head);
    if (refused !== undefined) return refused;
  } else {
    // RFC 6455 §4.2.1 item 1: an HTTP/1.1 or higher GET request.
    if (head.method !== 'GET') return upgradeRefusal(400, 'Invalid HTTP method');
    if (head.httpVersionMajor < 1 || head.httpVersionMinor < 1) return upgradeRefusal(400, 'HTTP/1.1 or later required');
    // §4.2.1 item 2: a Host header field.
    const host = headerValue(h, 'host');
    if (host === undefined || host === '') return upgradeRefusal(400, 'Missing Host header');
    // §4.2.1 item 3: Upgrade contains "websocket", ASCII case-insensitive.
    if (!headerHasToken(headerValue(h, 'upgrade'), 'websocket')) return upgradeRefusal(400, 'Invalid Upgrade header');
    // §4.2.1 item 4: Connection contains the token "Upgrade", ASCII case-insensitive.
    if (!headerHasToken(headerValue(h, 'connection'), 'upgrade')) return upgradeRefusal(400, 'Invalid Connection header');
  }
  // §4.2.1 item 6 / §4.2.2: version 13 only, otherwise 426 advertising what we speak.
  if (headerValue(h, 'sec-websocket-version') !== '13') {
    return upgradeRefusal(426, 'Unsupported Sec-WebSocket-Version', { 'sec-websocket-version': '13' });
  }
  if (head.httpVersionMajor < 2) {
    // §4.2.1 item 5: base64 of a 16-byte nonce.
    key = headerValue(h, 'sec-websocket-key');
    if (key === undefined || !isValidKey(key)) return upgradeRefusal(400, 'Invalid Sec-WebSocket-Key header');
  }
  const protocols = parseProtocols(headerValue(h, 'sec-websocket-protocol'));
  if (!Array.isArray(protocols)) return protocols;
  return { key, protocols, extensions: headerValue(h, 'sec-websocket-extensions'), origin: headerValue(h, 'origin') };
}

/**
 * RFC 8441 §4-5: the HTTP/2 shape of an opening handshake is an extended CONNECT whose
 * `:protocol` is `websocket`, with `:scheme`, `:path` and `:authority` (which stands in for
 * Host); there is no Upgrade, Connection or key. A request that is not an extended CONNECT, or
 * lacks a pseudo-header, is a 400; an extended CONNECT for a protocol other than WebSocket is
 * well formed but asks for something this server does not implement: 501.
 */
export function validateExtendedConnect(head: UpgradeRequestHead): UpgradeRefusal | undefined {
  const h = head.headers;
  if (head.method !== 'CONNECT') return upgradeRefusal(400, 'Invalid HTTP method');
  const protocol = headerValue(h, ':protocol');
  if (protocol === undefined || protocol === '') return upgradeRefusal(400, 'Missing :protocol pseudo-header');
  // RFC 8441 §4 names an upgrade token, which RFC 9110 §7.8 compares case-insensitively.
  if (protocol.toLowerCase() !== 'websocket') return upgradeRefusal(501, 'Unsupported :protocol');
  // RFC 8441 §4: ":scheme and :path pseudo-header fields MUST be included"; §5: :authority as Host.
  for (const name of [':scheme', ':path', ':authority']) {
    const value = headerValue(h, name);
    if (value === undefined || value === '') return upgradeRefusal(400, `Missing ${name} pseudo-header`);
  }
  return undefined;
}

/**
 * RFC 6455 §4.2.2 item 5.4: the server answers at most one subprotocol, and only one the client
 * offered. `chosen` is the application's pick (`undefined`: take the first offered, as ws does);
 * a pick that was not offered, or `false`/`null`/`''`, means none.
 */
export function chooseSubprotocol(offered: readonly string[], chosen?: string | false | null): string {
  if (offered.length === 0) return '';
  if (chosen === undefined) return offered[0] ?? '';
  return typeof chosen === 'string' && offered.includes(chosen) ? chosen : '';
}

/**
 * The response accepting `offer` with the server's choices: over HTTP/1.1 a 101 with `upgrade`,
 * `connection` and `sec-websocket-accept` (RFC 6455 §4.2.2 item 5); over HTTP/2 (no key) a 200
 * (RFC 8441 §5). The chosen subprotocol and extensions follow when there are any.
 */
export function acceptUpgrade(offer: Pick<UpgradeOffer, 'key'>, choice: UpgradeChoice, sha1Base64: Sha1Base64): UpgradeAccept {
  const protocol = choice.protocol ?? '';
  const extensions = choice.extensions ?? '';
  const headers: Record<string, string> = {};
  if (offer.key !== undefined) {
    headers['upgrade'] = 'websocket';
    headers['connection'] = 'Upgrade';
    headers['sec-websocket-accept'] = computeAcceptKey(offer.key, sha1Base64);
  }
  if (protocol !== '') headers['sec-websocket-protocol'] = protocol;
  if (extensions !== '') headers['sec-websocket-extensions'] = extensions;
  return { status: offer.key === undefined ? 200 : 101, headers, protocol, extensions };
}

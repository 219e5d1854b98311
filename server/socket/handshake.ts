/**
 * The server side of the RFC 6455 opening handshake (§4.2): validate an upgrade request, run the
 * application's checks (origin allow-list, `verifyClient`), pick a subprotocol, leave a seam for
 * extension negotiation, and build the `101 Switching Protocols` response.
 *
 * Refusals are values ({@link HandshakeRefusal}), never exceptions: nothing here throws out of the
 * upgrade path. Header lists are split by hand (no regular expressions, so no backtracking).
 */
import { createHash } from 'node:crypto';
import { STATUS_CODES } from 'node:http';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { isToken } from '../../src/rfc6455/http-token.js';
import type { MessageCodec } from './server-connection.js';

/** Re-exported: the handshake's token check is the engine's (one RFC 9110 table). */
export { isToken };

/** RFC 6455 §1.3: the GUID appended to the client's key before hashing. */
export const WEBSOCKET_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

/** A refused handshake: the HTTP status, extra response headers and a short plain-text reason. */
export interface HandshakeRefusal {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly reason: string;
  /** The exception behind a 500, when a hook threw. */
  readonly cause?: unknown;
}

/** What {@link validateUpgrade} extracts from a well-formed upgrade request. */
export interface UpgradeRequest {
  /** `Sec-WebSocket-Key`, as sent. */
  readonly key: string;
  /** `Sec-WebSocket-Protocol`, in the client's order (empty when none was offered). */
  readonly protocols: readonly string[];
  /** The raw `Sec-WebSocket-Extensions` offer, if any. */
  readonly extensions: string | undefined;
  /** The `Origin` header, if any. */
  readonly origin: string | undefined;
}

/** Builds a {@link HandshakeRefusal}; the reason defaults to the status text. */
export function refusal(status: number, reason?: string, headers: Record<string, string> = {}): HandshakeRefusal {
  return { status, headers, reason: reason ?? STATUS_CODES[status] ?? 'Error' };
}

/** Type guard telling a refusal from a successful result. */
export function isRefusal(value: unknown): value is HandshakeRefusal {
  return typeof value === 'object' && value !== null && typeof (value as { status?: unknown }).status === 'number';
}

/** RFC 6455 §4.2.2: `Sec-WebSocket-Accept` = base64(SHA-1(key + GUID)). */
export function acceptKey(key: string): string {
  return createHash('sha1').update(key + WEBSOCKET_GUID).digest('base64');
}

/**
 * Splits a comma-separated header list (RFC 9110 §5.6.1) into trimmed elements, keeping empty
 * ones so callers can reject them. Linear time, no regular expression.
 */
export function splitHeaderList(value: string): string[] {
  const parts = value.split(',');
  for (let i = 0; i < parts.length; i++) parts[i] = trimOws(parts[i] ?? '');
  return parts;
}

/** Does the comma-separated list `value` contain `token` (ASCII case-insensitive)? */
export function headerHasToken(value: string | undefined, token: string): boolean {
  if (value === undefined) return false;
  const wanted = token.toLowerCase();
  for (const part of splitHeaderList(value)) if (part.toLowerCase() === wanted) return true;
  return false;
}

function trimOws(s: string): string {
  let start = 0;
  let end = s.length;
  while (start < end && isOws(s.charCodeAt(start))) start++;
  while (end > start && isOws(s.charCodeAt(end - 1))) end--;
  return s.slice(start, end);
}

function isOws(c: number): boolean {
  return c === 0x20 || c === 0x09;
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
export function parseProtocols(value: string | undefined): string[] | HandshakeRefusal {
  if (value === undefined) return [];
  const list = splitHeaderList(value);
  const seen = new Set<string>();
  for (const p of list) {
    if (!isToken(p) || seen.has(p)) return refusal(400, 'Invalid Sec-WebSocket-Protocol header');
    seen.add(p);
  }
  return list;
}

/**
 * Validates an upgrade request against RFC 6455 §4.2.1. A wrong or missing version is a 426 with
 * `Sec-WebSocket-Version: 13` (§4.2.2); every other fault is a 400 naming the header.
 */
export function validateUpgrade(req: IncomingMessage): UpgradeRequest | HandshakeRefusal {
  const h = req.headers;
  // RFC 6455 §4.2.1 item 1: an HTTP/1.1 or higher GET request.
  if (req.method !== 'GET') return refusal(400, 'Invalid HTTP method');
  if (req.httpVersionMajor < 1 || (req.httpVersionMajor === 1 && req.httpVersionMinor < 1)) {
    return refusal(400, 'HTTP/1.1 or later required');
  }
  // §4.2.1 item 2: a Host header field.
  if (h.host === undefined || h.host === '') return refusal(400, 'Missing Host header');
  // §4.2.1 item 3: Upgrade contains "websocket", ASCII case-insensitive.
  if (!headerHasToken(h.upgrade, 'websocket')) return refusal(400, 'Invalid Upgrade header');
  // §4.2.1 item 4: Connection contains the token "Upgrade", ASCII case-insensitive.
  if (!headerHasToken(h.connection, 'upgrade')) return refusal(400, 'Invalid Connection header');
  // §4.2.1 item 6 / §4.2.2: version 13 only, otherwise 426 advertising what we speak.
  if (h['sec-websocket-version'] !== '13') {
    return refusal(426, 'Unsupported Sec-WebSocket-Version', { 'Sec-WebSocket-Version': '13' });
  }
  // §4.2.1 item 5: base64 of a 16-byte nonce.
  const key = h['sec-websocket-key'];
  if (key === undefined || !isValidKey(key)) return refusal(400, 'Invalid Sec-WebSocket-Key header');
  const protocols = parseProtocols(h['sec-websocket-protocol']);
  if (isRefusal(protocols)) return protocols;
  const origin = h.origin;
  const extensions = h['sec-websocket-extensions'];
  return { key, protocols, extensions, origin };
}

/** Bytes of an HTTP refusal response; the connection is closed after it. */
export function refusalResponse(r: HandshakeRefusal): string {
  const body = r.reason;
  let head =
    `HTTP/1.1 ${r.status} ${STATUS_CODES[r.status] ?? 'Error'}\r\n` +
    'Connection: close\r\nContent-Type: text/plain; charset=utf-8\r\n' +
    `Content-Length: ${Buffer.byteLength(body)}\r\n`;
  for (const [name, value] of Object.entries(r.headers)) {
    if (isToken(name) && isSafeHeaderValue(value)) head += `${name}: ${value}\r\n`;
  }
  return `${head}\r\n${body}`;
}

/** A header value that cannot split the response (no CR, LF or NUL). */
export function isSafeHeaderValue(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c === 0x0d || c === 0x0a || c === 0x00) return false;
  }
  return true;
}

/** Writes `r` and closes the socket once it is flushed. Never throws. */
export function writeRefusal(socket: Duplex, r: HandshakeRefusal): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  socket.once('finish', destroyThis);
  socket.end(refusalResponse(r));
}

function destroyThis(this: Duplex): void {
  this.destroy();
}

/** The header lines of a `101 Switching Protocols` answer (without the final blank line). */
export function acceptHeaders(key: string, protocol: string, extensions: string): string[] {
  const lines = [
    'HTTP/1.1 101 Switching Protocols',
    'Upgrade: websocket',
    'Connection: Upgrade',
    `Sec-WebSocket-Accept: ${acceptKey(key)}`,
  ];
  if (protocol !== '') lines.push(`Sec-WebSocket-Protocol: ${protocol}`);
  if (extensions !== '') lines.push(`Sec-WebSocket-Extensions: ${extensions}`);
  return lines;
}

/** What `verifyClient` sees. */
export interface VerifyClientInfo {
  /** The `Origin` header, if any. */
  readonly origin: string | undefined;
  /** Whether the request arrived over TLS. */
  readonly secure: boolean;
  readonly req: IncomingMessage;
}

/**
 * `true` accepts; `false` refuses with 401; a number refuses with that status; an object refuses
 * with its status, reason and headers.
 */
export type VerifyClientResult =
  | boolean
  | number
  | { readonly status: number; readonly reason?: string; readonly headers?: Record<string, string> };

/** `ws`'s callback: `cb(true)` accepts; `cb(false, status?, reason?, headers?)` refuses (401 by default). */
export type VerifyClientCallback = (result: boolean, status?: number, reason?: string, headers?: Record<string, string>) => void;

/**
 * The application's gate before the 101 (auth, origin, rate limits), in either form `ws` users
 * know: return a result (or a promise of one), or declare a second parameter and call it.
 */
export type VerifyClient = (info: VerifyClientInfo, callback: VerifyClientCallback) => VerifyClientResult | Promise<VerifyClientResult> | void;

/** Runs `verify` in its promise form, or (two declared parameters) its `ws` callback form. */
function runVerifyClient(verify: VerifyClient, info: VerifyClientInfo): Promise<VerifyClientResult> {
  if (verify.length < 2) return Promise.resolve(verify(info, () => undefined) as VerifyClientResult);
  return new Promise<VerifyClientResult>((resolve, reject) => {
    const callback: VerifyClientCallback = (ok, status, reason, headers) =>
      resolve(ok ? true : { status: status ?? 401, ...(reason !== undefined ? { reason } : {}), ...(headers !== undefined ? { headers } : {}) });
    // A throw (or a rejected promise from an async callback-style hook) is a 500, like any hook failure.
    Promise.resolve(verify(info, callback)).catch(reject);
  });
}

/** Picks one of the offered subprotocols (or none: `false`/`undefined`/`''`). */
export type HandleProtocols = (offered: readonly string[], req: IncomingMessage) => string | false | null | undefined;

/** The result of extension negotiation: the response header value and the per-connection codec. */
export interface ExtensionAgreement {
  /** The `Sec-WebSocket-Extensions` response value. */
  readonly header: string;
  /** Transforms messages of this connection (e.g. permessage-deflate); enables RSV1. */
  readonly codec: MessageCodec;
}

/**
 * The extension seam (RFC 6455 §9.1): given the client's raw offer, answer the extensions the
 * server accepts, nothing (`undefined`), or a refusal. Today no extension is installed.
 */
export type NegotiateExtensions = (offer: string, req: IncomingMessage) => ExtensionAgreement | HandshakeRefusal | undefined;

/** The application-level handshake options. */
export interface HandshakeOptions {
  readonly handleProtocols?: HandleProtocols | undefined;
  readonly verifyClient?: VerifyClient | undefined;
  /** Allowed `Origin` values (ASCII case-insensitive); a request without an Origin is refused too. */
  readonly origins?: readonly string[] | undefined;
  readonly negotiateExtensions?: NegotiateExtensions | undefined;
}

/** A handshake that may proceed to the 101. */
export interface HandshakeAccepted {
  readonly key: string;
  /** The selected subprotocol, `''` for none. */
  readonly protocol: string;
  /** The accepted `Sec-WebSocket-Extensions` value, `''` for none. */
  readonly extensions: string;
  readonly codec: MessageCodec | undefined;
}

/** Builds a `verifyClient` that admits only the listed origins (403 otherwise). */
export function originAllowList(origins: readonly string[]): (info: VerifyClientInfo) => VerifyClientResult {
  const allowed = new Set(origins.map((o) => o.toLowerCase()));
  // RFC 6455 §4.2.2 / §10.2: a server may refuse an origin it does not accept with 403.
  return ({ origin }) => (origin !== undefined && allowed.has(origin.toLowerCase()) ? true : refusal(403, 'Origin not allowed'));
}

function toRefusal(result: VerifyClientResult): HandshakeRefusal | undefined {
  if (result === true) return undefined;
  if (result === false) return refusal(401);
  if (typeof result === 'number') return refusal(result);
  return refusal(result.status, result.reason, result.headers ?? {});
}

/**
 * Runs the whole server-side negotiation for one request: RFC checks, origin allow-list,
 * `verifyClient`, subprotocol, extensions. Resolves to a refusal instead of throwing; a hook
 * that throws becomes a 500 carrying the exception as `cause`.
 */
export async function negotiate(
  req: IncomingMessage,
  secure: boolean,
  options: HandshakeOptions,
): Promise<HandshakeAccepted | HandshakeRefusal> {
  try {
    const upgrade = validateUpgrade(req);
    if (isRefusal(upgrade)) return upgrade;
    const info: VerifyClientInfo = { origin: upgrade.origin, secure, req };
    if (options.origins !== undefined) {
      const denied = toRefusal(await originAllowList(options.origins)(info));
      if (denied !== undefined) return denied;
    }
    if (options.verifyClient !== undefined) {
      const denied = toRefusal(await runVerifyClient(options.verifyClient, info));
      if (denied !== undefined) return denied;
    }
    const protocol = selectProtocol(upgrade.protocols, req, options.handleProtocols);
    let extensions = '';
    let codec: MessageCodec | undefined;
    if (upgrade.extensions !== undefined && options.negotiateExtensions !== undefined) {
      const agreed = options.negotiateExtensions(upgrade.extensions, req);
      if (isRefusal(agreed)) return agreed;
      if (agreed !== undefined) ({ header: extensions, codec } = agreed);
    }
    return { key: upgrade.key, protocol, extensions, codec };
  } catch (cause) {
    return { ...refusal(500), cause };
  }
}

/**
 * RFC 6455 §4.2.2 item 5.4: the server answers at most one subprotocol, and only one the client
 * offered. Without a hook the first offered is taken (as ws does); a hook's answer that was not
 * offered is dropped.
 */
export function selectProtocol(offered: readonly string[], req: IncomingMessage, handle: HandleProtocols | undefined): string {
  if (offered.length === 0) return '';
  if (handle === undefined) return offered[0] ?? '';
  const chosen = handle(offered, req);
  return typeof chosen === 'string' && offered.includes(chosen) ? chosen : '';
}

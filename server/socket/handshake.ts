/**
 * The server side of the RFC 6455 opening handshake over HTTP/1.1, as a thin adapter over the
 * pure rules in src/rfc6455/upgrade.ts: Node's `IncomingMessage` in, the application's checks
 * (origin allow-list, `verifyClient`, subprotocol and extension hooks), and the bytes of the
 * `101 Switching Protocols` answer or of a refusal out.
 *
 * Refusals are values ({@link HandshakeRefusal}), never exceptions: nothing here throws out of the
 * upgrade path.
 */
import { STATUS_CODES } from 'node:http';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { isToken } from '../../src/rfc6455/http-token.js';
import { headerHasToken, isSafeHeaderValue, splitHeaderList } from '../../src/rfc6455/http-headers.js';
import {
  WEBSOCKET_GUID,
  acceptUpgrade,
  chooseSubprotocol,
  computeAcceptKey,
  isUpgradeRefusal,
  isValidKey,
  parseProtocols as parseProtocolList,
  validateUpgradeRequest,
} from '../../src/rfc6455/upgrade.js';
import type { UpgradeOffer, UpgradeRefusal } from '../../src/rfc6455/upgrade.js';
import { sha1Base64 } from '../../node/sha1.js';
import type { MessageCodec } from './server-connection.js';

/** Re-exported: the handshake's header rules are the engine's (one RFC 9110 table, one list splitter). */
export { headerHasToken, isSafeHeaderValue, isToken, isValidKey, splitHeaderList, WEBSOCKET_GUID };

/** A refused handshake: the HTTP status, extra response headers and a short plain-text reason. */
export interface HandshakeRefusal {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly reason: string;
  /** The exception behind a 500, when a hook threw. */
  readonly cause?: unknown;
}

/** What {@link validateUpgrade} extracts from a well-formed upgrade request (HTTP/1.1: `key` is always set). */
export type UpgradeRequest = UpgradeOffer;

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
  return computeAcceptKey(key, sha1Base64);
}

/** How the HTTP/1.1 answer spells the names the rules give in lowercase (HTTP/2 keeps lowercase). */
const HEADER_CASE: Readonly<Record<string, string>> = {
  upgrade: 'Upgrade',
  connection: 'Connection',
  'sec-websocket-accept': 'Sec-WebSocket-Accept',
  'sec-websocket-protocol': 'Sec-WebSocket-Protocol',
  'sec-websocket-extensions': 'Sec-WebSocket-Extensions',
  'sec-websocket-version': 'Sec-WebSocket-Version',
};

function http1Headers(headers: Readonly<Record<string, string>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) out[HEADER_CASE[name] ?? name] = value;
  return out;
}

function fromRule(r: UpgradeRefusal): HandshakeRefusal {
  return refusal(r.status, r.reason, http1Headers(r.headers));
}

/** Parses `Sec-WebSocket-Protocol`: a list of distinct tokens (RFC 6455 §4.1, §11.3.4), or a refusal. */
export function parseProtocols(value: string | undefined): string[] | HandshakeRefusal {
  const list = parseProtocolList(value);
  return Array.isArray(list) ? list : fromRule(list);
}

/**
 * Validates an upgrade request against RFC 6455 §4.2.1 (see `validateUpgradeRequest`). A wrong
 * or missing version is a 426 with `Sec-WebSocket-Version: 13` (§4.2.2); every other fault is a
 * 400 naming the header.
 */
export function validateUpgrade(req: IncomingMessage): UpgradeRequest | HandshakeRefusal {
  const offer = validateUpgradeRequest(req);
  return isUpgradeRefusal(offer) ? fromRule(offer) : offer;
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
  const accepted = acceptUpgrade({ key }, { protocol, extensions }, sha1Base64);
  const lines = ['HTTP/1.1 101 Switching Protocols'];
  for (const [name, value] of Object.entries(http1Headers(accepted.headers))) lines.push(`${name}: ${value}`);
  return lines;
}

/**
 * The whole `101 Switching Protocols` answer in one string: the lines of {@link acceptHeaders} and
 * the blank line, without building the header record, the array and its join (the handshake's hot
 * path when nobody listens to `'headers'`). A test keeps the two byte-identical.
 */
export function acceptResponse(key: string, protocol: string, extensions: string): string {
  // RFC 6455 §4.2.2 item 5: 101, Upgrade, Connection, Sec-WebSocket-Accept, then the choices made.
  let head = `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${acceptKey(key)}\r\n`;
  if (protocol !== '') head += `Sec-WebSocket-Protocol: ${protocol}\r\n`;
  if (extensions !== '') head += `Sec-WebSocket-Extensions: ${extensions}\r\n`;
  return `${head}\r\n`;
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

/** Runs `verify` in its `ws` callback form (two declared parameters). */
function runVerifyCallback(verify: VerifyClient, info: VerifyClientInfo): Promise<VerifyClientResult> {
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

/** What a negotiation ends with: go ahead with the 101, or refuse. */
export type HandshakeOutcome = HandshakeAccepted | HandshakeRefusal;

/**
 * Runs the whole server-side negotiation for one request: RFC checks, origin allow-list,
 * `verifyClient`, subprotocol, extensions. Resolves to a refusal instead of throwing; a hook
 * that throws becomes a 500 carrying the exception as `cause`.
 */
export async function negotiate(req: IncomingMessage, secure: boolean, options: HandshakeOptions): Promise<HandshakeOutcome> {
  return negotiateNow(req, secure, options);
}

/**
 * {@link negotiate} without a promise when nothing asynchronous is involved: the outcome itself
 * unless `verifyClient` answers with a promise or takes a callback. The common handshake (no hook,
 * or a synchronous one) then pays no promise and no microtask turn.
 */
export function negotiateNow(req: IncomingMessage, secure: boolean, options: HandshakeOptions): HandshakeOutcome | Promise<HandshakeOutcome> {
  try {
    const upgrade = validateUpgrade(req);
    if (isRefusal(upgrade)) return upgrade;
    if (options.origins === undefined && options.verifyClient === undefined) return agree(upgrade, req, options);
    const info: VerifyClientInfo = { origin: upgrade.origin, secure, req };
    if (options.origins !== undefined) {
      const denied = toRefusal(originAllowList(options.origins)(info));
      if (denied !== undefined) return denied;
    }
    const verify = options.verifyClient;
    if (verify === undefined) return agree(upgrade, req, options);
    const verdict = verify.length < 2 ? verify(info, ignoreCallback) : runVerifyCallback(verify, info);
    if (isPromiseLike(verdict)) return Promise.resolve(verdict).then((v) => afterVerify(v, upgrade, req, options), serverError);
    return afterVerify(verdict as VerifyClientResult, upgrade, req, options);
  } catch (cause) {
    return serverError(cause);
  }
}

function ignoreCallback(): void {}

function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return typeof value === 'object' && value !== null && typeof (value as { then?: unknown }).then === 'function';
}

function serverError(cause: unknown): HandshakeRefusal {
  return { ...refusal(500), cause };
}

function afterVerify(verdict: VerifyClientResult, upgrade: UpgradeRequest, req: IncomingMessage, options: HandshakeOptions): HandshakeOutcome {
  try {
    // A hook that returned nothing (or anything else) fails here, as a 500.
    const denied = toRefusal(verdict);
    return denied !== undefined ? denied : agree(upgrade, req, options);
  } catch (cause) {
    return serverError(cause);
  }
}

/** The server's choices once the request is admitted: subprotocol, then extensions. */
function agree(upgrade: UpgradeRequest, req: IncomingMessage, options: HandshakeOptions): HandshakeOutcome {
  const protocol = selectProtocol(upgrade.protocols, req, options.handleProtocols);
  let extensions = '';
  let codec: MessageCodec | undefined;
  if (upgrade.extensions !== undefined && options.negotiateExtensions !== undefined) {
    const agreed = options.negotiateExtensions(upgrade.extensions, req);
    if (isRefusal(agreed)) return agreed;
    if (agreed !== undefined) ({ header: extensions, codec } = agreed);
  }
  // HTTP/1.1 always carries a key (validateUpgradeRequest refuses a request without one).
  return { key: upgrade.key ?? '', protocol, extensions, codec };
}

/**
 * RFC 6455 §4.2.2 item 5.4: the server answers at most one subprotocol, and only one the client
 * offered. Without a hook the first offered is taken (as ws does); a hook's answer that was not
 * offered is dropped.
 */
export function selectProtocol(offered: readonly string[], req: IncomingMessage, handle: HandleProtocols | undefined): string {
  if (offered.length === 0) return '';
  return chooseSubprotocol(offered, handle === undefined ? undefined : (handle(offered, req) ?? false));
}

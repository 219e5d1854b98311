/**
 * The client's opening handshake over Node sockets: `ws:` over node:net, `wss:` over node:tls;
 * a fresh random key, the upgrade request with the application's headers, the answer read and
 * checked by the pure rules (src/rfc6455/upgrade-client.ts), and the permessage-deflate answer
 * checked against our offer. Every way it can go wrong ends in one {@link HandshakeError} with
 * a specific code (and the Node error as `cause`, or the HTTP status and the first bytes of the
 * body), reported once; redirects are not followed.
 */
import { Buffer } from 'node:buffer';
import { randomBytes } from 'node:crypto';
import { connect as netConnect, isIP } from 'node:net';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { connect as tlsConnect } from 'node:tls';
import { resolvePerMessageDeflateOptions } from '../../node/permessage-deflate.js';
import type { ResolvedPerMessageDeflateOptions } from '../../node/permessage-deflate.js';
import { sha1Base64 } from '../../node/sha1.js';
import { ErrorCodes } from '../../src/errors.js';
import { isSafeHeaderValue } from '../../src/rfc6455/http-headers.js';
import { isToken } from '../../src/rfc6455/http-token.js';
import { offerPerMessageDeflate, validatePerMessageDeflateResponse } from '../../src/rfc6455/permessage-deflate-params.js';
import type { PerMessageDeflateParams } from '../../src/rfc6455/permessage-deflate-params.js';
import { HandshakeError, checkUpgradeResponse, clientUpgradeHeaders } from '../../src/rfc6455/upgrade-client.js';
import type { ClientUpgradeOffer } from '../../src/rfc6455/upgrade-client.js';
import { NODE_WEBSOCKET_DEFAULTS as DEFAULTS } from './options.js';
import type { NodeWebSocketOptions } from './options.js';
import { ResponseHeadReader } from './response-head.js';
import type { ResponseHead } from './response-head.js';

/** The handshake succeeded: the socket is the caller's from now on. */
export interface HandshakeOpen {
  readonly kind: 'open';
  /** The TCP/TLS socket, or the HTTP/2 stream of an extended CONNECT (http2-handshake.ts). */
  readonly socket: Duplex;
  /** Bytes that arrived after the 101 head: the first frames, for the parser before anything else. */
  readonly rest: Buffer;
  readonly protocol: string;
  /** The accepted `Sec-WebSocket-Extensions` value (`''` for none). */
  readonly extensions: string;
  /** Set when permessage-deflate was agreed, with the options it was offered with. */
  readonly deflate: { readonly params: PerMessageDeflateParams; readonly options: ResolvedPerMessageDeflateOptions } | undefined;
}

/** How a handshake ended. */
export type HandshakeResult = HandshakeOpen | { readonly kind: 'failed'; readonly error: HandshakeError };

/** Names the handshake owns; an application header may not replace them. */
export const RESERVED = new Set(['host', 'upgrade', 'connection', 'sec-websocket-key', 'sec-websocket-version', 'sec-websocket-protocol', 'sec-websocket-extensions', 'sec-websocket-accept', 'content-length', 'transfer-encoding']);

/** The request head; throws a TypeError for an application header that is invalid or reserved. */
function requestHead(url: URL, offer: ClientUpgradeOffer, extra: Readonly<Record<string, string>>): string {
  let head = `GET ${url.pathname || '/'}${url.search} HTTP/1.1\r\nHost: ${url.host}\r\n`;
  for (const [name, value] of Object.entries(clientUpgradeHeaders(offer))) head += `${name}: ${value}\r\n`;
  for (const [name, value] of Object.entries(extra)) {
    if (!isToken(name) || !isSafeHeaderValue(String(value))) throw new TypeError(`Invalid request header ${JSON.stringify(name)}`);
    if (RESERVED.has(name.toLowerCase())) throw new TypeError(`The ${name} header is set by the handshake`);
    head += `${name}: ${value}\r\n`;
  }
  return `${head}\r\n`;
}

/** What the WebSocket needs of a handshake in progress (HTTP/1.1 here, HTTP/2 in http2-handshake.ts). */
export interface PendingHandshake {
  /** Gives up: `done` reports `error` on the next tick, unless the handshake finished by then. */
  abort(error: HandshakeError): void;
}

/** One opening handshake; `done` is called exactly once, never synchronously. */
export class Handshake implements PendingHandshake {
  readonly #socket: Socket;
  readonly #offer: ClientUpgradeOffer;
  readonly #deflate: ResolvedPerMessageDeflateOptions | undefined;
  readonly #reader: ResponseHeadReader;
  readonly #done: (result: HandshakeResult) => void;
  readonly #timer: ReturnType<typeof setTimeout>;
  /** Set once a non-101 head arrived: the body's first bytes are gathered for the error. */
  #refused: { head: ResponseHead; error: HandshakeError; body: Buffer[]; bytes: number } | undefined;
  #finished = false;

  /** Starts connecting. Throws a TypeError for invalid `headers` (nothing is opened then). */
  constructor(url: URL, protocols: readonly string[], options: NodeWebSocketOptions, done: (result: HandshakeResult) => void) {
    this.#deflate = resolvePerMessageDeflateOptions(options.perMessageDeflate ?? DEFAULTS.perMessageDeflate);
    const extensions = this.#deflate === undefined ? undefined : offerPerMessageDeflate(this.#deflate);
    // RFC 6455 §4.1 item 7: a nonce of 16 random bytes, base64-encoded, new for every connection.
    this.#offer = { key: randomBytes(16).toString('base64'), protocols, extensions };
    const head = requestHead(url, this.#offer, options.headers ?? {});
    this.#reader = new ResponseHeadReader(options.maxHeaderBytes ?? DEFAULTS.maxHeaderBytes);
    this.#done = done;
    this.#socket = openSocket(url, options);
    this.#socket.on('data', this.#onData).on('end', this.#onEnd).on('close', this.#onEnd).on('error', this.#onError);
    this.#socket.write(head);
    const timeout = options.handshakeTimeout ?? DEFAULTS.handshakeTimeout;
    this.#timer = setTimeout(() => this.#fail(new HandshakeError(ErrorCodes.HandshakeTimeout, `No complete answer to the upgrade within ${timeout} ms`)), timeout);
  }

  /** Gives up (the WebSocket was closed while connecting): reports `error`, on the next tick, unless finished by then. */
  abort(error: HandshakeError): void {
    process.nextTick(() => this.#fail(error));
  }

  #onData = (chunk: Buffer): void => {
    if (this.#refused !== undefined) return this.#gatherBody(chunk);
    const read = this.#reader.push(chunk);
    if (read === undefined) return;
    if (read instanceof HandshakeError) return this.#fail(read);
    const checked = checkUpgradeResponse(read.head, this.#offer, sha1Base64);
    if (checked instanceof HandshakeError) {
      if (read.head.status === 101) return this.#fail(checked);
      this.#refused = { head: read.head, error: checked, body: [], bytes: 0 };
      return this.#gatherBody(read.rest);
    }
    let deflate: HandshakeOpen['deflate'];
    if (checked.extensions.length > 0 && this.#deflate !== undefined) {
      try {
        const params = validatePerMessageDeflateResponse(checked.extensions, this.#deflate);
        if (params !== undefined) deflate = { params, options: this.#deflate };
      } catch (err) {
        return this.#fail(new HandshakeError(ErrorCodes.ExtensionNegotiationFailed, (err as Error).message, { status: 101 }));
      }
    }
    const extensions = read.head.headers['sec-websocket-extensions'];
    this.#finish({
      kind: 'open',
      socket: this.#socket,
      rest: read.rest,
      protocol: checked.protocol,
      extensions: deflate === undefined ? '' : Array.isArray(extensions) ? extensions.join(', ') : (extensions ?? ''),
      deflate,
    });
  };

  /** A refusal: keep up to `maxBodyBytes` of its body (its explanation), then report. */
  #gatherBody(chunk: Buffer): void {
    const refused = this.#refused!;
    refused.body.push(chunk);
    refused.bytes += chunk.length;
    const declared = Number(refused.head.headers['content-length']);
    if (refused.bytes >= DEFAULTS.maxBodyBytes || (Number.isInteger(declared) && refused.bytes >= declared)) this.#refuse();
  }

  #refuse(): void {
    const { head, error, body } = this.#refused!;
    const text = Buffer.concat(body).subarray(0, DEFAULTS.maxBodyBytes).toString('utf8');
    const location = head.headers['location'];
    const where = head.status >= 300 && head.status < 400 && typeof location === 'string' ? ` (redirect to ${location} not followed)` : '';
    const message = `${error.message} ${head.statusText}${where}${text === '' ? '' : `: ${text}`}`.replace(/\s+$/, '');
    this.#fail(new HandshakeError(error.code, message, { status: head.status, body: text }));
  }

  #onEnd = (): void => {
    if (this.#refused !== undefined) return this.#refuse();
    this.#fail(new HandshakeError(ErrorCodes.HandshakeAborted, 'The server closed the connection before the end of its answer'));
  };

  #onError = (err: Error): void => {
    if (this.#refused !== undefined) return this.#refuse();
    this.#fail(new HandshakeError(ErrorCodes.ConnectFailed, err.message, { cause: err }));
  };

  #fail(error: HandshakeError): void {
    if (this.#finished) return;
    this.#socket.destroy();
    this.#finish({ kind: 'failed', error });
  }

  #finish(result: HandshakeResult): void {
    if (this.#finished) return;
    this.#finished = true;
    clearTimeout(this.#timer);
    const s = this.#socket;
    s.off('data', this.#onData).off('end', this.#onEnd).off('close', this.#onEnd).off('error', this.#onError);
    // A destroyed socket may still report a late error; nobody else is listening yet.
    if (result.kind === 'failed') s.on('error', noop);
    this.#done(result);
  }
}

function noop(): void {}

/** A TCP (`ws:`) or TLS (`wss:`) connection to the URL's host; IPv6 literals lose their brackets. */
function openSocket(url: URL, options: NodeWebSocketOptions): Socket {
  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  const secure = url.protocol === 'wss:';
  const port = url.port === '' ? (secure ? 443 : 80) : Number(url.port);
  if (!secure) return netConnect({ host, port });
  return tlsConnect({
    host,
    port,
    // RFC 6066 §3: SNI carries a DNS name, never an IP address literal.
    servername: options.servername ?? (isIP(host) === 0 ? host : undefined),
    ca: options.ca as string | Buffer | Array<string | Buffer> | undefined,
    cert: options.cert,
    key: options.key,
    rejectUnauthorized: options.rejectUnauthorized ?? true,
    ALPNProtocols: ['http/1.1'],
  });
}

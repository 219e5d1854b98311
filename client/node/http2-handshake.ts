/**
 * The client's opening handshake over HTTP/2 (RFC 8441), for the `http2` option: wait for the
 * server's SETTINGS on the origin's shared session (http2-sessions.ts), check that it allows
 * extended CONNECT (§3), send `:method CONNECT` + `:protocol websocket` with the WebSocket
 * headers of the pure rules (`extendedConnectHeaders`), and check the answer with them
 * (`checkExtendedConnectResponse`: a 2xx, no accept key). The stream is then the WebSocket's
 * connection; the session is released when it closes. Failures are the same `HandshakeError`s
 * as over HTTP/1.1, plus `ERR_HANDSHAKE_NO_EXTENDED_CONNECT`.
 */
import { Buffer } from 'node:buffer';
import type { ClientHttp2Stream, IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http2';
import { resolvePerMessageDeflateOptions } from '../../node/permessage-deflate.js';
import type { ResolvedPerMessageDeflateOptions } from '../../node/permessage-deflate.js';
import { ErrorCodes } from '../../src/errors.js';
import { isSafeHeaderValue } from '../../src/rfc6455/http-headers.js';
import { isToken } from '../../src/rfc6455/http-token.js';
import { offerPerMessageDeflate, validatePerMessageDeflateResponse } from '../../src/rfc6455/permessage-deflate-params.js';
import { HandshakeError, checkExtendedConnectResponse, extendedConnectHeaders } from '../../src/rfc6455/upgrade-client.js';
import { RESERVED } from './handshake.js';
import type { HandshakeOpen, HandshakeResult, PendingHandshake } from './handshake.js';
import { acquireSession, releaseSession } from './http2-sessions.js';
import type { PooledSession } from './http2-sessions.js';
import { NODE_WEBSOCKET_DEFAULTS as DEFAULTS } from './options.js';
import type { NodeWebSocketOptions } from './options.js';

/** RFC 9113 §8.2.2: connection-specific fields are malformed in HTTP/2. */
const CONNECTION_SPECIFIC = new Set(['keep-alive', 'proxy-connection', 'te']);

/** The request's header block; throws a TypeError for an application header that is invalid or reserved. */
function requestHeaders(url: URL, offer: { protocols: readonly string[]; extensions: string | undefined }, extra: Readonly<Record<string, string>>): OutgoingHttpHeaders {
  const headers: OutgoingHttpHeaders = {
    ':method': 'CONNECT',
    ':protocol': 'websocket',
    ':path': `${url.pathname || '/'}${url.search}`,
    ...extendedConnectHeaders(offer),
  };
  for (const [name, value] of Object.entries(extra)) {
    const lower = name.toLowerCase();
    if (!isToken(name) || !isSafeHeaderValue(String(value))) throw new TypeError(`Invalid request header ${JSON.stringify(name)}`);
    if (RESERVED.has(lower) || CONNECTION_SPECIFIC.has(lower)) throw new TypeError(`The ${name} header is set by the handshake`);
    headers[lower] = value;
  }
  return headers;
}

/** One extended CONNECT; `done` is called exactly once, never synchronously. */
export class Http2Handshake implements PendingHandshake {
  readonly #url: URL;
  readonly #offer: { protocols: readonly string[]; extensions: string | undefined };
  readonly #headers: OutgoingHttpHeaders;
  readonly #deflate: ResolvedPerMessageDeflateOptions | undefined;
  readonly #pooled: PooledSession;
  readonly #done: (result: HandshakeResult) => void;
  readonly #timer: ReturnType<typeof setTimeout>;
  #stream: ClientHttp2Stream | undefined;
  #finished = false;

  /** Starts (on a shared session). Throws a TypeError for invalid `headers` (nothing is opened then). */
  constructor(url: URL, protocols: readonly string[], options: NodeWebSocketOptions, done: (result: HandshakeResult) => void) {
    this.#url = url;
    this.#deflate = resolvePerMessageDeflateOptions(options.perMessageDeflate ?? DEFAULTS.perMessageDeflate);
    this.#offer = { protocols, extensions: this.#deflate === undefined ? undefined : offerPerMessageDeflate(this.#deflate) };
    this.#headers = requestHeaders(url, this.#offer, options.headers ?? {});
    this.#done = done;
    this.#pooled = acquireSession(url, options);
    const timeout = options.handshakeTimeout ?? DEFAULTS.handshakeTimeout;
    this.#timer = setTimeout(() => this.#fail(new HandshakeError(ErrorCodes.HandshakeTimeout, `No answer to the extended CONNECT within ${timeout} ms`)), timeout);
    this.#pooled.settings.then(
      () => this.#request(),
      (err: Error) => this.#fail(new HandshakeError(ErrorCodes.ConnectFailed, err.message, { cause: err })),
    );
  }

  abort(error: HandshakeError): void {
    process.nextTick(() => this.#fail(error));
  }

  #request(): void {
    if (this.#finished) return;
    const session = this.#pooled.session;
    // RFC 8441 §3: without SETTINGS_ENABLE_CONNECT_PROTOCOL the server would see a malformed request.
    if (session.remoteSettings.enableConnectProtocol !== true) {
      return this.#fail(new HandshakeError(ErrorCodes.HandshakeNoExtendedConnect, `${this.#url.host} does not accept WebSockets over HTTP/2 (no SETTINGS_ENABLE_CONNECT_PROTOCOL)`));
    }
    let stream: ClientHttp2Stream;
    try {
      stream = session.request(this.#headers);
    } catch (err) {
      return this.#fail(new HandshakeError(ErrorCodes.ConnectFailed, (err as Error).message, { cause: err }));
    }
    this.#stream = stream;
    stream.on('error', this.#onError).once('close', this.#onClose).once('response', this.#onResponse);
  }

  #onResponse = (headers: IncomingHttpHeaders): void => {
    const stream = this.#stream!;
    const status = Number(headers[':status']);
    const checked = checkExtendedConnectResponse({ status, headers }, this.#offer);
    if (checked instanceof HandshakeError) return this.#refuse(stream, checked, status);
    let deflate: HandshakeOpen['deflate'];
    if (checked.extensions.length > 0 && this.#deflate !== undefined) {
      try {
        const params = validatePerMessageDeflateResponse(checked.extensions, this.#deflate);
        if (params !== undefined) deflate = { params, options: this.#deflate };
      } catch (err) {
        return this.#fail(new HandshakeError(ErrorCodes.ExtensionNegotiationFailed, (err as Error).message, { status }));
      }
    }
    const extensions = headers['sec-websocket-extensions'];
    const pooled = this.#pooled;
    stream.off('close', this.#onClose);
    // The stream holds its share of the session until it closes, whoever closes it.
    stream.once('close', () => releaseSession(pooled));
    this.#finish({
      kind: 'open',
      socket: stream,
      rest: Buffer.alloc(0),
      protocol: checked.protocol,
      extensions: deflate === undefined ? '' : Array.isArray(extensions) ? extensions.join(', ') : (extensions ?? ''),
      deflate,
    });
  };

  /** A refusal: its body (up to `maxBodyBytes`) is the explanation. */
  #refuse(stream: ClientHttp2Stream, error: HandshakeError, status: number): void {
    const body: Buffer[] = [];
    let bytes = 0;
    const report = (): void => {
      const text = Buffer.concat(body).subarray(0, DEFAULTS.maxBodyBytes).toString('utf8');
      this.#fail(new HandshakeError(error.code, `${error.message}${text === '' ? '' : `: ${text}`}`, { status, body: text }));
    };
    stream.off('close', this.#onClose).once('close', report).once('end', report);
    stream.on('data', (chunk: Buffer) => {
      body.push(chunk);
      bytes += chunk.length;
      if (bytes >= DEFAULTS.maxBodyBytes) report();
    });
  }

  #onError = (err: Error): void => {
    this.#fail(new HandshakeError(ErrorCodes.HandshakeAborted, `The extended CONNECT stream failed: ${err.message}`, { cause: err }));
  };

  #onClose = (): void => {
    this.#fail(new HandshakeError(ErrorCodes.HandshakeAborted, `The server reset the extended CONNECT (RST_STREAM ${this.#stream?.rstCode ?? '?'})`));
  };

  #fail(error: HandshakeError): void {
    if (this.#finished) return;
    const stream = this.#stream;
    if (stream !== undefined && !stream.destroyed) stream.close();
    releaseSession(this.#pooled);
    this.#finish({ kind: 'failed', error });
  }

  #finish(result: HandshakeResult): void {
    if (this.#finished) return;
    this.#finished = true;
    clearTimeout(this.#timer);
    const stream = this.#stream;
    if (stream !== undefined) {
      stream.off('error', this.#onError).off('close', this.#onClose).off('response', this.#onResponse);
      // A reset after a failure may still report an error; nobody else is listening yet.
      if (result.kind === 'failed') stream.on('error', noop);
    }
    this.#done(result);
  }
}

function noop(): void {}

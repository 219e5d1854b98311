/**
 * Options of the Node `WebSocket` (its third constructor argument, as with `ws`) and their
 * defaults. Time options are plain names in milliseconds, like the rest of Tandem.
 */
import type { PerMessageDeflateOptions } from '../../node/permessage-deflate.js';
import { DEFAULTS as ENGINE_DEFAULTS } from '../../src/rfc6455/constants.js';

/** Node-only options of the client `WebSocket`. */
export interface NodeWebSocketOptions {
  /**
   * Extra request headers (`Authorization`, `Cookie`, `Origin`…). The handshake's own headers
   * (`Upgrade`, `Connection`, `Sec-WebSocket-*`, `Host`) cannot be overridden.
   */
  readonly headers?: Readonly<Record<string, string>> | undefined;
  /**
   * permessage-deflate (RFC 7692): offered with these settings (`true`: the defaults), or not
   * offered (`false`). The same limits as the server: `maxPayload` bounds the inflated size.
   * @default true (as browsers and ws do)
   */
  readonly perMessageDeflate?: boolean | PerMessageDeflateOptions | undefined;
  /** Largest message accepted, inflated size included; larger fails the connection with 1009. @default 104857600 */
  readonly maxPayload?: number | undefined;
  /** Most frames per message. @default 100000 */
  readonly maxFragments?: number | undefined;
  /** From the start of the TCP connection to the server's 101; slower fails with `ERR_HANDSHAKE_TIMEOUT`. @default 10000 */
  readonly handshakeTimeout?: number | undefined;
  /** After our close frame, how long the server has to finish the closing handshake. @default 30000 */
  readonly closeTimeout?: number | undefined;
  /** Largest response head accepted. @default 16384 */
  readonly maxHeaderBytes?: number | undefined;
  /** `wss:` only: trusted CA certificates (PEM), instead of Node's default store. */
  readonly ca?: string | Buffer | ReadonlyArray<string | Buffer> | undefined;
  /** `wss:` only: client certificate and key (PEM), for mutual TLS. */
  readonly cert?: string | Buffer | undefined;
  readonly key?: string | Buffer | undefined;
  /** `wss:` only: refuse a server whose certificate does not verify. @default true */
  readonly rejectUnauthorized?: boolean | undefined;
  /** `wss:` only: the SNI name and the name the certificate must match. @default the URL's host (none for an IP address) */
  readonly servername?: string | undefined;
  /**
   * Open the WebSocket over HTTP/2 (RFC 8441 extended CONNECT) instead of an HTTP/1.1 Upgrade:
   * `wss:` over TLS (ALPN h2), `ws:` as cleartext h2c. WebSockets to the same origin (with the
   * same TLS options) share one HTTP/2 session, each on its own stream; the session closes with
   * the last of them. A server that does not advertise extended CONNECT fails the attempt with
   * `ERR_HANDSHAKE_NO_EXTENDED_CONNECT` (no silent fallback). @default false
   */
  readonly http2?: boolean | undefined;
}

/** Defaults of {@link NodeWebSocketOptions}. */
export const NODE_WEBSOCKET_DEFAULTS = Object.freeze({
  /** @default true */
  perMessageDeflate: true,
  /** @default 104857600 (100 MiB) */
  maxPayload: ENGINE_DEFAULTS.maxPayload,
  /** @default 100000 */
  maxFragments: ENGINE_DEFAULTS.maxFragments,
  /** @default 10000 */
  handshakeTimeout: 10_000,
  /** @default 30000 */
  closeTimeout: 30_000,
  /** @default 16384 */
  maxHeaderBytes: 16 * 1024,
  /** Bytes of a refusal's body kept for the error. @default 512 */
  maxBodyBytes: 512,
});

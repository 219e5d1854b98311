/**
 * The server a `WebSocketServer` creates for `{ port, tls }`: one `node:http2` secure server
 * that speaks HTTP/2 (WebSocket over extended CONNECT, RFC 8441) and, through `allowHTTP1`,
 * HTTP/1.1 (the RFC 6455 Upgrade) on the same port, chosen per connection by ALPN.
 */
import { createSecureServer } from 'node:http2';
import type { Http2SecureServer, SecureServerOptions } from 'node:http2';
import type { TLSSocket } from 'node:tls';

/**
 * Creates (without listening) the TLS server for `tls` (`key`, `cert`, …). `handshakeTimeout`
 * bounds the TLS handshake; `onHttp1Socket` sees each HTTP/1.1 connection once TLS is up, so the
 * caller can bound its upgrade too (an HTTP/2 session lives as long as its streams instead).
 */
export function createTlsServer(
  tls: SecureServerOptions,
  handshakeTimeout: number,
  onHttp1Socket: (socket: TLSSocket) => void,
): Http2SecureServer {
  const server = createSecureServer({ handshakeTimeout, ...tls, allowHTTP1: true });
  server.on('secureConnection', (socket: TLSSocket) => {
    if (socket.alpnProtocol !== 'h2') onHttp1Socket(socket);
  });
  return server;
}

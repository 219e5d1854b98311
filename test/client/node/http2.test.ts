/**
 * The Node WebSocket's `http2` option (RFC 8441): the extended CONNECT on a shared HTTP/2 session
 * per origin, checked with the pure client rules; the same events as over HTTP/1.1; the session
 * closed with its last WebSocket; every way the HTTP/2 opening fails is a HandshakeError.
 */
import type { Http2Session } from 'node:http2';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { WebSocketServerOptions } from '../../../server/socket/websocket-server.js';
import { isHttp2Request } from '../../../server/socket/http2-upgrade.js';
import { echo } from '../../../server/tools/cli.js';
import { createClient } from '../../../client/node/index.js';
import type { WebSocketConstructor } from '../../../client/transport.js';
import { WebSocket } from '../../../client/node/websocket.js';
import { createServer } from '../../../server/typed/server.js';
import { listenTls, testCertificate } from '../../helpers/h2-client.js';
import { Recorded, closeAllNode } from '../../helpers/node-websocket.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  closeAllNode();
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

interface Seen {
  readonly http2: boolean;
  readonly session: Http2Session | undefined;
  readonly url: string | undefined;
}

async function start(options: Omit<WebSocketServerOptions, 'port' | 'host' | 'tls'> = {}) {
  const wss = await listenTls(options, cleanups);
  echo(wss);
  const seen: Seen[] = [];
  wss.on('connection', (_ws, req) => seen.push({ http2: isHttp2Request(req), session: isHttp2Request(req) ? req.stream.session : undefined, url: req.url }));
  const sessions: Http2Session[] = [];
  const server = (wss as unknown as { address(): AddressInfo }).address();
  return { wss, port: server.port, seen, sessions };
}

const tls = () => ({ ca: testCertificate().cert, http2: true as const });

describe('Node WebSocket over HTTP/2', () => {
  it('opens several WebSockets to one origin as streams of one session, and closes the session with the last', async () => {
    const { port, seen } = await start({ perMessageDeflate: { threshold: 0 } });
    const a = await new Recorded(`wss://127.0.0.1:${port}/a?x=1`, ['chat'], tls()).open();
    const b = await new Recorded(`wss://127.0.0.1:${port}/b`, [], tls()).open();
    expect(seen.map((s) => [s.http2, s.url])).toEqual([
      [true, '/a?x=1'],
      [true, '/b'],
    ]);
    expect(seen[0]!.session).toBe(seen[1]!.session);
    expect([a.ws.protocol, a.ws.extensions]).toEqual(['chat', 'permessage-deflate']);
    a.ws.send('over h2');
    b.ws.send(Buffer.from([1, 2, 3]));
    await a.until(() => a.messages().length === 1);
    await b.until(() => b.messages().length === 1);
    expect([a.messages(), b.messages()]).toEqual([['over h2'], [Buffer.from([1, 2, 3])]]);
    const session = seen[0]!.session!;
    const sessionClosed = new Promise<void>((resolve) => session.once('close', () => resolve()));
    a.ws.close(1000, 'done');
    expect(await a.closed()).toEqual({ type: 'close', code: 1000, reason: '', wasClean: true });
    expect(session.closed || session.destroyed).toBe(false); // b still uses it
    b.ws.close(4001);
    expect(await b.closed()).toEqual({ type: 'close', code: 4001, reason: '', wasClean: true });
    await sessionClosed;
  });

  it('fails with ERR_HANDSHAKE_NO_EXTENDED_CONNECT when the server does not advertise it', async () => {
    const { port, seen } = await start({ http2: false });
    const ws = new Recorded(`wss://127.0.0.1:${port}/`, [], tls());
    const closed = await ws.closed();
    expect(closed).toEqual({ type: 'close', code: 1006, reason: '', wasClean: false });
    expect(ws.error()).toMatchObject({ code: 'ERR_HANDSHAKE_NO_EXTENDED_CONNECT' });
    expect(seen).toEqual([]);
  });

  it('a refusal is ERR_HANDSHAKE_STATUS with the status and the body', async () => {
    const { port } = await start({ origins: ['https://ok.example'] });
    const ws = new Recorded(`wss://127.0.0.1:${port}/`, [], { ...tls(), headers: { Origin: 'https://evil.example' } });
    expect((await ws.closed()).code).toBe(1006);
    expect(ws.error()).toMatchObject({ code: 'ERR_HANDSHAKE_STATUS', status: 403, body: 'Origin not allowed' });
  });

  it('rejects a header HTTP/2 forbids or the handshake owns, before opening anything', () => {
    expect(() => new WebSocket('wss://127.0.0.1:1/', { http2: true, headers: { 'Keep-Alive': '5' } })).toThrow(TypeError);
    expect(() => new WebSocket('wss://127.0.0.1:1/', { http2: true, headers: { 'Sec-WebSocket-Version': '8' } })).toThrow(TypeError);
  });

  it('the typed client over HTTP/2 against the typed server', async () => {
    type Echo = { client: { requests: { echo: { request: string; response: string } } }; server: object };
    const server = createServer<Echo>({ port: 0, host: '127.0.0.1', tls: testCertificate() });
    cleanups.push(() => server.close({ timeout: 300 }));
    await new Promise<void>((resolve) => server.once('listening', resolve));
    server.handle('echo', (text) => `echo: ${text}`);
    const transports: boolean[] = [];
    server.on('connection', (peer) => transports.push(peer.handshake.headers[':protocol'] === 'websocket'));
    const port = (server.address() as AddressInfo).port;
    class Http2WebSocket extends WebSocket {
      constructor(url: string | URL, protocols?: string | string[]) {
        super(url, protocols, tls());
      }
    }
    const client = createClient<Echo>(`wss://127.0.0.1:${port}/`, { WebSocket: Http2WebSocket as unknown as WebSocketConstructor, reconnect: false, network: null });
    cleanups.push(() => client.close());
    expect(await client.request('echo', 'hi')).toBe('echo: hi');
    expect(transports).toEqual([true]);
  });
});

/**
 * WebSocket over HTTP/2 (RFC 8441) on the ws-style server: the extended CONNECT handshake and its
 * refusals, the advertised setting, HTTP/1.1 on the same port, and the connection over a stream.
 */
import { once } from 'node:events';
import { createSecureServer } from 'node:http2';
import type { Http2SecureServer } from 'node:http2';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { WebSocketServer } from '../../server/socket/websocket-server.js';
import type { WebSocketServerOptions } from '../../server/socket/websocket-server.js';
import type { ServerConnection } from '../../server/socket/server-connection.js';
import type { HandshakeRefusal } from '../../server/socket/handshake.js';
import { isHttp2Request } from '../../server/socket/http2-upgrade.js';
import { echo } from '../../server/tools/cli.js';
import { H2EngineClient, answer, closeH2, connectH2, extendedConnect, testCertificate } from '../helpers/h2-client.js';
import type { ClientHttp2Session } from 'node:http2';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function stop(wss: WebSocketServer): Promise<void> {
  for (const ws of wss.clients) ws.terminate();
  await new Promise<void>((resolve) => wss.close(() => resolve()));
}

/** A WebSocketServer on its own TLS port (HTTP/2 + HTTP/1.1), echoing. */
async function listenTls(options: Omit<WebSocketServerOptions, 'port' | 'host' | 'tls'> = {}): Promise<{ wss: WebSocketServer; port: number }> {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1', tls: testCertificate(), ...options });
  cleanups.push(() => stop(wss));
  await new Promise<void>((resolve) => wss.once('listening', () => resolve()));
  echo(wss);
  return { wss, port: (wss.address() as AddressInfo).port };
}

async function session(port: number, waitForSettings = true): Promise<ClientHttp2Session> {
  const s = await connectH2(port, { waitForSettings });
  cleanups.push(() => closeH2(s));
  return s;
}

describe('extended CONNECT: the handshake', () => {
  it('advertises SETTINGS_ENABLE_CONNECT_PROTOCOL and answers :status 200 without an accept key', async () => {
    const { wss, port } = await listenTls({ handleProtocols: (offered) => offered[1], perMessageDeflate: true });
    const connections: { ws: ServerConnection; http2: boolean; path: string | undefined }[] = [];
    wss.on('connection', (ws, req) => connections.push({ ws, http2: isHttp2Request(req), path: req.url }));
    const s = await session(port);
    expect(s.remoteSettings.enableConnectProtocol).toBe(true);
    const stream = extendedConnect(s, '/chat?room=a', {
      'sec-websocket-protocol': 'a, b',
      'sec-websocket-extensions': 'permessage-deflate; client_max_window_bits',
      origin: 'https://example.com',
    });
    const answered = await answer(stream);
    if (answered.status === undefined) throw new Error(`reset ${answered.rstCode}`);
    expect(answered.status).toBe(200);
    const { ':status': _status, date: _date, ...rest } = answered.headers;
    expect(Object.fromEntries(Object.entries(rest))).toEqual({ 'sec-websocket-protocol': 'b', 'sec-websocket-extensions': 'permessage-deflate' });
    expect(connections.map((c) => [c.http2, c.path, c.ws.protocol])).toEqual([[true, '/chat?room=a', 'b']]);
    stream.close();
  });

  const refusals: [string, Record<string, string | undefined>, number, string][] = [
    ['an unknown :protocol', { ':protocol': 'connect-udp' }, 501, 'Unsupported :protocol'],
    ['a wrong version', { 'sec-websocket-version': '8' }, 426, 'Unsupported Sec-WebSocket-Version'],
    ['a missing version', { 'sec-websocket-version': undefined }, 426, 'Unsupported Sec-WebSocket-Version'],
    ['a refused origin', { origin: 'https://evil.example' }, 403, 'Origin not allowed'],
    ['a malformed subprotocol list', { 'sec-websocket-protocol': 'a, a' }, 400, 'Invalid Sec-WebSocket-Protocol header'],
    ['a malformed extension offer', { 'sec-websocket-extensions': 'permessage-deflate; x=' }, 400, 'Invalid Sec-WebSocket-Extensions header'],
  ];
  for (const [name, headers, status, reason] of refusals) {
    it(`refuses ${name} with ${status}, the reason as the body, and no WebSocket`, async () => {
      const { wss, port } = await listenTls({ origins: ['https://example.com'], perMessageDeflate: true });
      const refused: HandshakeRefusal[] = [];
      wss.on('refused', (r) => refused.push(r));
      wss.on('connection', () => expect.fail('no connection may open'));
      const answered = await answer(extendedConnect(await session(port), '/', { origin: 'https://example.com', ...headers }));
      if (answered.status === undefined) throw new Error(`reset ${answered.rstCode}`);
      expect([answered.status, await answered.body()]).toEqual([status, reason]);
      if (status === 426) expect(answered.headers['sec-websocket-version']).toBe('13');
      expect(refused.map((r) => r.status)).toEqual([status]);
    });
  }

  it('an async verifyClient sees the HTTP/2 request; one slower than handshakeTimeout gets the stream reset (CANCEL)', async () => {
    const seen: [string | undefined, boolean, unknown][] = [];
    const { port } = await listenTls({
      handshakeTimeout: 150,
      verifyClient: async ({ origin, secure, req }) => {
        seen.push([origin, secure, req.headers[':protocol']]);
        if (req.url === '/slow') await new Promise((resolve) => setTimeout(resolve, 1000));
        return req.headers['x-allow'] === 'yes' ? true : { status: 429, reason: 'later', headers: { 'Retry-After': '5', Connection: 'close' } };
      },
    });
    const s = await session(port);
    const allowed = await answer(extendedConnect(s, '/', { 'x-allow': 'yes', origin: 'https://a.example' }));
    expect(allowed.status).toBe(200);
    const refused = await answer(extendedConnect(s, '/'));
    if (refused.status === undefined) throw new Error('reset');
    // Connection is not an HTTP/2 header (RFC 9113 §8.2.2): dropped from the refusal, Retry-After kept.
    expect([refused.status, refused.headers['retry-after'], refused.headers['connection'], await refused.body()]).toEqual([429, '5', undefined, 'later']);
    const slow = await answer(extendedConnect(s, '/slow', { 'x-allow': 'yes' }));
    expect(slow).toEqual({ status: undefined, rstCode: 8 });
    expect(seen).toEqual([
      ['https://a.example', true, 'websocket'],
      [undefined, true, 'websocket'],
      [undefined, true, 'websocket'],
    ]);
  });

  it('a custom extension answer HTTP/2 cannot carry is a 500 with the cause on the refused event, not a crash', async () => {
    const codec = { close: () => undefined } as never;
    const { wss, port } = await listenTls({ negotiateExtensions: () => ({ header: 'x-ext\r\nbad', codec }) });
    const refused: HandshakeRefusal[] = [];
    wss.on('refused', (r) => refused.push(r));
    const answered = await answer(extendedConnect(await session(port), '/', { 'sec-websocket-extensions': 'x-ext' }));
    expect(answered.status).toBe(500);
    expect(refused.map((r) => [r.status, r.cause instanceof Error])).toEqual([[500, true]]);
  });

  it('answers 404 for a path no WebSocket server on the HTTP/2 server serves', async () => {
    const { port } = await listenTls({ path: '/ws' });
    const s = await session(port);
    const wrong = await answer(extendedConnect(s, '/other'));
    if (wrong.status === undefined) throw new Error('reset');
    expect([wrong.status, await wrong.body()]).toEqual([404, 'Unknown path']);
    const right = await answer(extendedConnect(s, '/ws?x=1'));
    expect(right.status).toBe(200);
  });

  it('a CONNECT without :protocol is not a WebSocket: nghttp2 resets one with a :path, a plain CONNECT gets 405', async () => {
    const { port } = await listenTls();
    const s = await session(port);
    expect(() => s.request({ ':method': 'CONNECT', ':authority': 'example.com:443', ':path': '/' })).toThrow(/path/i);
    const plain = await answer(s.request({ ':method': 'CONNECT', ':authority': 'example.com:443' }));
    expect(plain.status).toBe(405);
  });

  it('a CONNECT sent before the server\'s SETTINGS arrived: accepted when Tandem advertised, reset (PROTOCOL_ERROR) when not', async () => {
    const on = await listenTls();
    const eager = await session(on.port, false);
    expect(eager.remoteSettings?.enableConnectProtocol).not.toBe(true); // not seen yet
    const accepted = await answer(extendedConnect(eager, '/'));
    expect(accepted.status).toBe(200);

    const off = await listenTls({ http2: false });
    const plain = await session(off.port, false);
    const reset = await answer(extendedConnect(plain, '/'));
    // RFC 8441 §3: a peer that did not advertise treats the request as malformed (a stream error).
    expect(reset).toEqual({ status: undefined, rstCode: 1 });
    expect(plain.remoteSettings.enableConnectProtocol).toBe(false);
  });

  it('closing its own server sends GOAWAY: a later extended CONNECT is refused by HTTP/2 itself', async () => {
    const { wss, port } = await listenTls();
    const before = await session(port);
    const goaway = once(before, 'goaway');
    wss.close();
    await goaway;
    expect(() => extendedConnect(before, '/')).toThrow(/GOAWAY|closed|destroyed/i);
  });

  it('detached from an application\'s server: new sessions are not told, a session that was gets 503', async () => {
    const http2 = createSecureServer({ ...testCertificate(), allowHTTP1: true });
    await new Promise<void>((resolve) => http2.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise<void>((resolve) => http2.close(() => resolve())));
    const port = (http2.address() as AddressInfo).port;
    const wss = new WebSocketServer({ server: http2 });
    const before = await session(port);
    expect(before.remoteSettings.enableConnectProtocol).toBe(true);
    await stop(wss);
    const answered = await answer(extendedConnect(before, '/'));
    if (answered.status === undefined) throw new Error('reset');
    // RFC 8441 §3: the setting cannot be withdrawn within a session, so its CONNECTs still get an answer.
    expect([answered.status, await answered.body()]).toEqual([503, 'No WebSocket server attached']);
    const after = await session(port);
    expect(after.remoteSettings.enableConnectProtocol).toBe(false);
    await closeH2(before);
    // Both sessions gone: the dispatcher left the application's server.
    await closeH2(after);
    expect([http2.listenerCount('stream'), http2.listenerCount('connect'), http2.listenerCount('session')]).toEqual([0, 0, 0]);
  });

  it('attaches to an application\'s HTTP/2 server: its GETs stay its own, extended CONNECTs on the path are ours', async () => {
    const http2 = createSecureServer({ ...testCertificate(), allowHTTP1: true }, (_req, res) => res.end('page'));
    await new Promise<void>((resolve) => http2.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise<void>((resolve) => http2.close(() => resolve())));
    const port = (http2.address() as AddressInfo).port;
    const wss = new WebSocketServer({ server: http2, path: '/ws' });
    cleanups.push(() => stop(wss));
    echo(wss);
    const s = await session(port);
    expect(s.remoteSettings.enableConnectProtocol).toBe(true);
    const page = await answer(s.request({ ':path': '/' }));
    if (page.status === undefined) throw new Error('reset');
    expect([page.status, await page.body()]).toEqual([200, 'page']);
    const client = await H2EngineClient.open(s, '/ws');
    client.send('over h2');
    await client.waitForMessages(1);
    expect(client.messages[0]!.data.toString()).toBe('over h2');
    client.close(1000);
    expect(await client.closed).toEqual({ code: 1000, reason: '', rstCode: 0 });
  });

  it('keeps HTTP/1.1 Upgrade working on the same port (allowHTTP1)', async () => {
    const { wss, port } = await listenTls();
    const requests: boolean[] = [];
    wss.on('connection', (_ws, req) => requests.push(isHttp2Request(req)));
    const ws = new WebSocket(`wss://127.0.0.1:${port}/`, { ca: testCertificate().cert });
    cleanups.push(() => ws.terminate());
    await once(ws, 'open');
    ws.send('hello 1.1');
    const [data] = (await once(ws, 'message')) as [Buffer];
    expect(data.toString()).toBe('hello 1.1');
    expect(requests).toEqual([false]);
    ws.close(1000);
    expect((await once(ws, 'close'))[0]).toBe(1000);
  });

  it('checks the new options: tls goes with port and is an object, http2 is a boolean', () => {
    expect(() => new WebSocketServer({ noServer: true, tls: testCertificate() })).toThrow(/tls goes with port/);
    expect(() => new WebSocketServer({ port: 0, tls: 'key.pem' as never })).toThrow(/tls/);
    expect(() => new WebSocketServer({ port: 0, http2: 'yes' as never })).toThrow(/http2/);
  });

  it('answers an HTTP/2 GET to its own server with 426', async () => {
    const { port } = await listenTls();
    const page = await answer((await session(port)).request({ ':path': '/' }));
    expect(page.status).toBe(426);
  });
});

/**
 * The Node client against servers that break the rules, written byte by byte on a raw TCP
 * server: a wrong handshake answer fails with a specific HandshakeError, a wrong frame fails the
 * connection with the RFC's close code (sent on the wire, reported on `error` and `close`), and
 * no case hangs: silence is bounded by the handshake and close timeouts.
 */
import { createHash } from 'node:crypto';
import { createServer } from 'node:net';
import type { AddressInfo, Server, Socket } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import { afterEach, describe, expect, it } from 'vitest';
import { ErrorCodes } from '../../../src/errors.js';
import { Recorded, closeAllNode } from '../../helpers/node-websocket.js';
import { TEST_CERT, TEST_KEY } from '../../helpers/tls-fixture.js';
import { listenEcho, stopAll } from '../../helpers/servers.js';

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
const servers: Server[] = [];
const sockets: Socket[] = [];
afterEach(async () => {
  closeAllNode();
  for (const s of sockets.splice(0)) s.destroy();
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
  await stopAll();
});

/**
 * A server that reads the request head, then lets `answer` write whatever it wants. `halfOpen`:
 * our FIN does not end its side (Node's default would close the TCP connection at once).
 */
async function rawServer(answer: (socket: Socket, head: string, key: string) => void, halfOpen = false): Promise<number> {
  const server = createServer({ allowHalfOpen: halfOpen }, (socket) => {
    sockets.push(socket);
    socket.on('error', () => undefined);
    let head = '';
    const onData = (chunk: Buffer): void => {
      head += chunk.toString('latin1');
      if (!head.includes('\r\n\r\n')) return;
      socket.off('data', onData);
      const key = /sec-websocket-key: *(\S+)/i.exec(head)?.[1] ?? '';
      answer(socket, head, key);
    };
    socket.on('data', onData);
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

const accept = (key: string): string => createHash('sha1').update(key + GUID).digest('base64');
const good101 = (key: string, extra = ''): string =>
  `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept(key)}\r\n${extra}\r\n`;

/** Frames the client sent after the handshake (read without masking checks: the client masks). */
function clientFrames(socket: Socket): { codes: number[] } {
  const seen = { codes: [] as number[] };
  let buffer = Buffer.alloc(0);
  socket.on('data', (chunk: Buffer) => {
    buffer = Buffer.concat([buffer, chunk]);
    while (buffer.length >= 6) {
      const length = buffer[1]! & 0x7f; // the client's frames here are all short
      if (buffer.length < 6 + length) return;
      const opcode = buffer[0]! & 0x0f;
      const payload = Buffer.from(buffer.subarray(6, 6 + length)).map((b, i) => b ^ buffer[2 + (i & 3)]!);
      if (opcode === 8) seen.codes.push(payload.length >= 2 ? (payload[0]! << 8) | payload[1]! : 1005);
      buffer = buffer.subarray(6 + length);
    }
  });
  return seen;
}

const noDeflate = { perMessageDeflate: false } as const;

describe('handshake failures: each a specific HandshakeError, then close 1006', () => {
  it.each([
    ['a wrong Sec-WebSocket-Accept', (_k: string) => `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept('x')}\r\n\r\n`, ErrorCodes.HandshakeAccept],
    ['a 101 without Upgrade', (k: string) => `HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept(k)}\r\n\r\n`, ErrorCodes.HandshakeUpgrade],
    ['a 101 without Connection: Upgrade', (k: string) => `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nSec-WebSocket-Accept: ${accept(k)}\r\n\r\n`, ErrorCodes.HandshakeConnection],
    ['an unoffered subprotocol', (k: string) => good101(k, 'Sec-WebSocket-Protocol: other\r\n'), ErrorCodes.HandshakeProtocol],
    ['an unoffered extension', (k: string) => good101(k, 'Sec-WebSocket-Extensions: x-custom\r\n'), ErrorCodes.ExtensionNegotiationFailed],
    ['a malformed status line', () => 'HTTP/1.1 1O1 Oops\r\n\r\n', ErrorCodes.InvalidHttpResponse],
    ['a folded header line', (k: string) => `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n  folded\r\nSec-WebSocket-Accept: ${accept(k)}\r\n\r\n`, ErrorCodes.InvalidHttpResponse],
  ])('%s', async (_name, response, code) => {
    const port = await rawServer((socket, _head, key) => socket.write(response(key)));
    const c = new Recorded(`ws://127.0.0.1:${port}/`, ['chat'], noDeflate);
    expect(await c.closed()).toEqual({ type: 'close', code: 1006, reason: '', wasClean: false });
    expect(c.error()).toMatchObject({ name: 'HandshakeError', code });
    expect(c.events.map((e) => e.type)).toEqual(['error', 'close']);
  });

  it('an unoffered permessage-deflate parameter fails the extension negotiation', async () => {
    const port = await rawServer((socket, _head, key) => socket.write(good101(key, 'Sec-WebSocket-Extensions: permessage-deflate; server_max_window_bits=20\r\n')));
    const c = new Recorded(`ws://127.0.0.1:${port}/`, [], { perMessageDeflate: true });
    await c.closed();
    expect(c.error()).toMatchObject({ name: 'HandshakeError', code: ErrorCodes.ExtensionNegotiationFailed, status: 101 });
  });

  it.each([
    [302, 'Found', 'Location: ws://elsewhere/\r\n', '', /302 Found \(redirect to ws:\/\/elsewhere\/ not followed\)/],
    [401, 'Unauthorized', '', 'token expired', /401 Unauthorized: token expired/],
    [503, 'Service Unavailable', '', 'Server is closing', /503 Service Unavailable: Server is closing/],
  ])('a %i answer: ERR_HANDSHAKE_STATUS with the status and the first bytes of the body', async (status, text, extra, body, message) => {
    const port = await rawServer((socket) => socket.end(`HTTP/1.1 ${status} ${text}\r\n${extra}Content-Length: ${body.length}\r\n\r\n${body}`));
    const c = new Recorded(`ws://127.0.0.1:${port}/`, [], noDeflate);
    await c.closed();
    expect(c.error()).toMatchObject({ code: ErrorCodes.HandshakeStatus, status, body });
    expect(c.error()!.message).toMatch(message);
  });

  it("Tandem's own refusal (400, wrong path) keeps its reason", async () => {
    const { port } = await listenEcho({ path: '/only' });
    const c = new Recorded(`ws://127.0.0.1:${port}/other`, [], noDeflate);
    await c.closed();
    expect(c.error()).toMatchObject({ code: ErrorCodes.HandshakeStatus, status: 400, body: 'Unknown path' });
  });

  it('a server that closes in the middle of its headers: ERR_HANDSHAKE_ABORTED', async () => {
    const port = await rawServer((socket) => socket.end('HTTP/1.1 101 Switching Protocols\r\nUpgrade: webs'));
    const c = new Recorded(`ws://127.0.0.1:${port}/`, [], noDeflate);
    await c.closed();
    expect(c.error()).toMatchObject({ code: ErrorCodes.HandshakeAborted });
  });

  it('a server that never answers: ERR_HANDSHAKE_TIMEOUT after handshakeTimeout', async () => {
    const port = await rawServer(() => undefined);
    const started = Date.now();
    const c = new Recorded(`ws://127.0.0.1:${port}/`, [], { ...noDeflate, handshakeTimeout: 150 });
    await c.closed();
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
    expect(c.error()).toMatchObject({ code: ErrorCodes.HandshakeTimeout });
  });

  it('a response head over maxHeaderBytes: ERR_INVALID_HTTP_RESPONSE', async () => {
    const port = await rawServer((socket) => socket.write(`HTTP/1.1 101 Switching Protocols\r\nX-Big: ${'a'.repeat(2000)}\r\n`));
    const c = new Recorded(`ws://127.0.0.1:${port}/`, [], { ...noDeflate, maxHeaderBytes: 1024 });
    await c.closed();
    expect(c.error()).toMatchObject({ code: ErrorCodes.InvalidHttpResponse });
  });

  it('a refused TCP connection: ERR_CONNECT_FAILED with the ECONNREFUSED error as its cause', async () => {
    const port = await rawServer(() => undefined);
    await new Promise((r) => servers.pop()!.close(r));
    const c = new Recorded(`ws://127.0.0.1:${port}/`, [], noDeflate);
    await c.closed();
    expect(c.error()).toMatchObject({ name: 'HandshakeError', code: ErrorCodes.ConnectFailed, cause: expect.objectContaining({ code: 'ECONNREFUSED' }) });
  });

  it('wss: an untrusted certificate fails with the TLS error as cause; with `ca` (or rejectUnauthorized: false) it connects', async () => {
    const tls = createTlsServer({ cert: TEST_CERT, key: TEST_KEY }, (socket) => {
      sockets.push(socket);
      socket.once('data', (chunk: Buffer) => socket.write(good101(/sec-websocket-key: *(\S+)/i.exec(chunk.toString())![1]!)));
    });
    servers.push(tls as unknown as Server);
    await new Promise<void>((resolve) => tls.listen(0, '127.0.0.1', resolve));
    const port = (tls.address() as AddressInfo).port;
    const refused = new Recorded(`wss://localhost:${port}/`, [], noDeflate);
    await refused.closed();
    expect(refused.error()).toMatchObject({ code: ErrorCodes.ConnectFailed, cause: expect.objectContaining({ code: 'DEPTH_ZERO_SELF_SIGNED_CERT' }) });
    await new Recorded(`wss://localhost:${port}/`, [], { ...noDeflate, ca: TEST_CERT }).open();
    await new Recorded(`wss://127.0.0.1:${port}/`, [], { ...noDeflate, ca: TEST_CERT }).open();
    await new Recorded(`wss://127.0.0.1:${port}/`, [], { ...noDeflate, rejectUnauthorized: false }).open();
    const wrongName = new Recorded(`wss://127.0.0.1:${port}/`, [], { ...noDeflate, ca: TEST_CERT, servername: 'example.com' });
    await wrongName.closed();
    expect(wrongName.error()).toMatchObject({ code: ErrorCodes.ConnectFailed, cause: expect.objectContaining({ code: 'ERR_TLS_CERT_ALTNAME_INVALID' }) });
  });
});

describe('frames that break RFC 6455: the connection fails with the close code', () => {
  it.each([
    ['a masked frame from the server', Buffer.from([0x81, 0x82, 1, 2, 3, 4, 0x69 ^ 1, 0x69 ^ 2]), 1002, ErrorCodes.UnexpectedMask],
    ['invalid UTF-8 in a text message', Buffer.from([0x81, 0x02, 0xc3, 0x28]), 1007, ErrorCodes.InvalidUtf8],
    ['RSV1 without permessage-deflate', Buffer.from([0xc1, 0x01, 0x61]), 1002, ErrorCodes.UnexpectedRsv],
    ['an unknown opcode', Buffer.from([0x83, 0x00]), 1002, ErrorCodes.InvalidOpcode],
    ['a message over maxPayload', Buffer.from([0x82, 0x7e, 0x01, 0x00]), 1009, ErrorCodes.MessageTooBig],
  ])('%s → close %i sent, error and close reported', async (_name, frame, closeCode, code) => {
    let seen: { codes: number[] } | undefined;
    const port = await rawServer((socket, _head, key) => {
      seen = clientFrames(socket);
      socket.write(Buffer.concat([Buffer.from(good101(key)), frame])); // the bad frame right behind the 101
    });
    const c = new Recorded(`ws://127.0.0.1:${port}/`, [], { ...noDeflate, maxPayload: 255, closeTimeout: 200 });
    const closed = await c.closed();
    expect(seen?.codes).toEqual([closeCode]);
    expect(c.error()).toMatchObject({ name: 'ProtocolError', code, closeCode });
    expect(closed).toMatchObject({ code: closeCode, wasClean: false });
    expect(c.events.map((e) => e.type)).toEqual(['open', 'error', 'close']);
  });

  it('a server that never answers our close: 1006 with ERR_CLOSE_TIMEOUT after closeTimeout', async () => {
    let seen: { codes: number[] } | undefined;
    const port = await rawServer((socket, _head, key) => {
      seen = clientFrames(socket);
      socket.write(good101(key));
    });
    const c = await new Recorded(`ws://127.0.0.1:${port}/`, [], { ...noDeflate, closeTimeout: 150 }).open();
    const started = Date.now();
    c.ws.close(1000);
    const closed = await c.closed();
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
    expect(seen?.codes).toEqual([1000]);
    expect(closed).toEqual({ type: 'close', code: 1006, reason: ErrorCodes.CloseTimeout, wasClean: false });
  });

  it('a server that sends its close frame but keeps TCP open: CLOSING at once, closed by us after closeTimeout', async () => {
    let seen: { codes: number[] } | undefined;
    const port = await rawServer((socket, _head, key) => {
      seen = clientFrames(socket);
      socket.write(Buffer.concat([Buffer.from(good101(key)), Buffer.from([0x88, 0x02, 0x03, 0xe9])])); // close 1001
    }, true);
    const c = new Recorded(`ws://127.0.0.1:${port}/`, [], { ...noDeflate, closeTimeout: 150 });
    await c.until(() => seen?.codes.length === 1);
    expect(c.ws.readyState).toBe(2);
    c.ws.send('dropped'); // WHATWG: discarded once closing, counted in bufferedAmount
    expect(c.ws.bufferedAmount).toBe(7);
    expect(seen?.codes).toEqual([1001]); // our echo
    expect(await c.closed()).toEqual({ type: 'close', code: 1001, reason: '', wasClean: true });
  });

  it('close() while connecting abandons the attempt: error (ERR_HANDSHAKE_ABORTED), then close 1006', async () => {
    const port = await rawServer(() => undefined);
    const c = new Recorded(`ws://127.0.0.1:${port}/`, [], noDeflate);
    c.ws.close();
    expect(c.ws.readyState).toBe(2);
    expect(await c.closed()).toEqual({ type: 'close', code: 1006, reason: '', wasClean: false });
    expect(c.error()).toMatchObject({ code: ErrorCodes.HandshakeAborted });
  });
});

describe('the WHATWG surface', () => {
  it('refuses bad URLs and subprotocols with a SyntaxError, sends while CONNECTING with InvalidStateError', async () => {
    for (const url of ['http//x', 'ftp://x/', 'ws://x/#frag']) expect(() => new Recorded(url)).toThrow(expect.objectContaining({ name: 'SyntaxError' }));
    expect(() => new Recorded('ws://x/', ['a b'])).toThrow(expect.objectContaining({ name: 'SyntaxError' }));
    expect(() => new Recorded('ws://x/', ['a', 'a'])).toThrow(expect.objectContaining({ name: 'SyntaxError' }));
    expect(() => new Recorded('ws://x/', [], { headers: { 'Sec-WebSocket-Key': 'x' } })).toThrow(TypeError);
    expect(() => new Recorded('ws://x/', [], { headers: { 'X-Evil': 'a\r\nInjected: 1' } })).toThrow(TypeError);
    const port = await rawServer(() => undefined);
    const c = new Recorded(`http://127.0.0.1:${port}/`, [], noDeflate);
    expect(c.ws.url).toBe(`ws://127.0.0.1:${port}/`);
    expect(() => c.ws.send('x')).toThrow(expect.objectContaining({ name: 'InvalidStateError' }));
    expect(() => c.ws.close(1005)).toThrow(expect.objectContaining({ name: 'InvalidAccessError' }));
    expect(() => c.ws.close(1000, 'é'.repeat(62))).toThrow(expect.objectContaining({ name: 'SyntaxError' }));
  });

  it('sends custom headers (Authorization, Cookie) and the path with its query; binaryType and on* attributes work', async () => {
    let head = '';
    const port = await rawServer((socket, h, key) => {
      head = h;
      socket.write(Buffer.concat([Buffer.from(good101(key)), Buffer.from([0x82, 0x02, 0xca, 0xfe])]));
    });
    const c = new Recorded(`ws://127.0.0.1:${port}/room?id=7`, [], { ...noDeflate, headers: { Authorization: 'Bearer abc', Cookie: 'sid=1' } });
    const types: string[] = [];
    c.ws.onopen = () => types.push('open');
    c.ws.binaryType = 'arraybuffer';
    const data = await new Promise<unknown>((resolve) => (c.ws.onmessage = (e: { data: unknown }) => resolve(e.data)));
    expect(data).toBeInstanceOf(ArrayBuffer);
    expect([...new Uint8Array(data as ArrayBuffer)]).toEqual([0xca, 0xfe]);
    expect(types).toEqual(['open']);
    expect(head).toMatch(/^GET \/room\?id=7 HTTP\/1\.1\r\nHost: 127\.0\.0\.1:\d+\r\n/);
    expect(head).toContain('\r\nAuthorization: Bearer abc\r\n');
    expect(head).toContain('\r\nCookie: sid=1\r\n');
    expect(head).toContain('\r\nsec-websocket-version: 13\r\n');
    expect(head).not.toMatch(/sec-websocket-extensions/i);
  });
});

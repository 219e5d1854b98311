import { afterEach, describe, expect, it } from 'vitest';
import { connect } from 'node:net';
import {
  acceptKey,
  headerHasToken,
  isValidKey,
  parseProtocols,
  refusalResponse,
  splitHeaderList,
} from '../../server/socket/handshake.js';
import { SAMPLE_KEY, rawExchange, upgradeRequest, RawClient } from '../helpers/raw-client.js';
import { listen, listenEcho, stopAll } from '../helpers/servers.js';

afterEach(stopAll);

const ACCEPT_101 =
  'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
  'Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n';

function refused(status: string, reason: string, extra = ''): string {
  return (
    `HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Type: text/plain; charset=utf-8\r\n` +
    `Content-Length: ${Buffer.byteLength(reason)}\r\n${extra}\r\n${reason}`
  );
}

/** The response head of a handshake that succeeded (the socket is then closed by the test). */
async function accepted(port: number, request: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let text = '';
    socket.on('data', (c: Buffer) => {
      text += c.toString('latin1');
      const end = text.indexOf('\r\n\r\n');
      if (end !== -1) {
        socket.destroy();
        resolve(text.slice(0, end + 4));
      }
    });
    socket.on('error', reject);
    socket.on('close', () => reject(new Error(`closed: ${JSON.stringify(text)}`)));
    socket.write(request);
  });
}

describe('handshake helpers', () => {
  it('computes the RFC 6455 §1.3 accept key', () => {
    expect(acceptKey(SAMPLE_KEY)).toBe('s3pPLMBiTxaQ9kYGzzhZRbK+xOo=');
  });

  it('splits header lists without regular expressions, keeping empty elements', () => {
    expect(splitHeaderList(' a ,\tb,, c ')).toEqual(['a', 'b', '', 'c']);
    expect(headerHasToken('keep-alive, Upgrade', 'upgrade')).toBe(true);
    expect(headerHasToken('keep-alive, upgrade-ish', 'upgrade')).toBe(false);
    expect(headerHasToken(undefined, 'upgrade')).toBe(false);
  });

  it('accepts only base64 of exactly 16 bytes as a key', () => {
    expect(isValidKey(SAMPLE_KEY)).toBe(true);
    expect(isValidKey(Buffer.alloc(15).toString('base64'))).toBe(false);
    expect(isValidKey(Buffer.alloc(17).toString('base64'))).toBe(false);
    expect(isValidKey('dGhlIHNhbXBsZSBub25jZQ=')).toBe(false);
    expect(isValidKey('dGhlIHNhbXBsZSBub25j*Q==')).toBe(false);
  });

  it('parses subprotocol lists: distinct tokens only', () => {
    expect(parseProtocols('chat, superchat')).toEqual(['chat', 'superchat']);
    expect(parseProtocols(undefined)).toEqual([]);
    for (const bad of ['a,,b', 'a, a', 'a b', 'a;b', '']) expect(parseProtocols(bad)).toMatchObject({ status: 400 });
  });

  it('a pathological header is handled in linear time', () => {
    const header = `${' ,'.repeat(50_000)}x`;
    expect(parseProtocols(header)).toMatchObject({ status: 400 });
    expect(headerHasToken(`${'a,'.repeat(50_000)}upgrade`, 'upgrade')).toBe(true);
  });

  it('drops response headers that could split the response', () => {
    const text = refusalResponse({ status: 401, reason: 'no', headers: { 'X-Ok': 'yes', 'X-Bad': 'a\r\nSet-Cookie: x', 'Bad Name': 'v' } });
    expect(text).toBe(refused('401 Unauthorized', 'no', 'X-Ok: yes\r\n'));
  });
});

describe('handshake over a real socket (RFC 6455 §4.2.1)', () => {
  it('answers a valid upgrade with the exact 101', async () => {
    const { port } = await listen();
    expect(await accepted(port, upgradeRequest())).toBe(`${ACCEPT_101}\r\n`);
  });

  it('matches Upgrade and Connection tokens case-insensitively inside lists', async () => {
    const { port } = await listen();
    const req = upgradeRequest('/', { Upgrade: 'WebSocket', Connection: 'keep-alive, UPGRADE' });
    expect(await accepted(port, req)).toBe(`${ACCEPT_101}\r\n`);
  });

  const refusals: Array<[name: string, request: string, expected: string]> = [
    ['a POST', upgradeRequest().replace('GET', 'POST'), refused('400 Bad Request', 'Invalid HTTP method')],
    ['HTTP/1.0', upgradeRequest().replace('HTTP/1.1', 'HTTP/1.0'), refused('400 Bad Request', 'HTTP/1.1 or later required')],
    ['an Upgrade without websocket', upgradeRequest('/', { Upgrade: 'h2c' }), refused('400 Bad Request', 'Invalid Upgrade header')],
    ['no Sec-WebSocket-Key', upgradeRequest('/', { 'Sec-WebSocket-Key': null }), refused('400 Bad Request', 'Invalid Sec-WebSocket-Key header')],
    ['a 15-byte key', upgradeRequest('/', { 'Sec-WebSocket-Key': Buffer.alloc(15).toString('base64') }), refused('400 Bad Request', 'Invalid Sec-WebSocket-Key header')],
    ['a 17-byte key', upgradeRequest('/', { 'Sec-WebSocket-Key': Buffer.alloc(17).toString('base64') }), refused('400 Bad Request', 'Invalid Sec-WebSocket-Key header')],
    ['version 8', upgradeRequest('/', { 'Sec-WebSocket-Version': '8' }), refused('426 Upgrade Required', 'Unsupported Sec-WebSocket-Version', 'Sec-WebSocket-Version: 13\r\n')],
    ['no version', upgradeRequest('/', { 'Sec-WebSocket-Version': null }), refused('426 Upgrade Required', 'Unsupported Sec-WebSocket-Version', 'Sec-WebSocket-Version: 13\r\n')],
    ['an invalid subprotocol list', upgradeRequest('/', { 'Sec-WebSocket-Protocol': 'chat,,x' }), refused('400 Bad Request', 'Invalid Sec-WebSocket-Protocol header')],
    ['a duplicate subprotocol', upgradeRequest('/', { 'Sec-WebSocket-Protocol': 'chat, chat' }), refused('400 Bad Request', 'Invalid Sec-WebSocket-Protocol header')],
  ];
  for (const [name, request, expected] of refusals) {
    it(`refuses ${name} with the exact response, then closes`, async () => {
      const { port } = await listen();
      expect(await rawExchange(port, request)).toBe(expected);
    });
  }

  it('refuses a request without Host with 400', async () => {
    const { port } = await listen();
    const response = await rawExchange(port, upgradeRequest('/', { Host: null }));
    expect(response.startsWith('HTTP/1.1 400 Bad Request\r\n')).toBe(true);
  });

  it('refuses an upgrade whose Connection lacks "upgrade" with 400', async () => {
    const { port } = await listen();
    const response = await rawExchange(port, upgradeRequest('/', { Connection: 'keep-alive' }));
    expect(response.startsWith('HTTP/1.1 400 Bad Request\r\n')).toBe(true);
    expect(response.endsWith('\r\n\r\nInvalid Connection header')).toBe(true);
  });

  it('answers a plain HTTP request with 426', async () => {
    const { port } = await listen();
    const response = await rawExchange(port, 'GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    expect(response.startsWith('HTTP/1.1 426 Upgrade Required\r\n')).toBe(true);
    expect(response).toContain('\r\nUpgrade: websocket\r\n');
  });

  it('answers a request head over 16 KiB with 431', async () => {
    const { port } = await listen();
    const response = await rawExchange(port, upgradeRequest('/', { 'X-Big': 'a'.repeat(17 * 1024) }));
    expect(response.startsWith('HTTP/1.1 431 Request Header Fields Too Large\r\n')).toBe(true);
  });

  it('drops a slow-loris client that dribbles its headers', async () => {
    const { port } = await listen({ handshakeTimeout: 300 });
    const request = Buffer.from(upgradeRequest('/', { 'X-Pad': 'p'.repeat(200) }));
    const socket = connect(port, '127.0.0.1');
    let sent = 0;
    let received = '';
    socket.on('data', (c: Buffer) => (received += c.toString('latin1')));
    socket.on('error', () => {});
    const dribble = setInterval(() => {
      if (sent < request.length && !socket.destroyed) socket.write(request.subarray(sent, ++sent));
    }, 20);
    await new Promise((resolve) => socket.on('close', resolve));
    clearInterval(dribble);
    expect(sent).toBeLessThan(request.length);
    expect(received).toBe('');
  });

  it('feeds bytes sent with the upgrade request (head) to the parser first', async () => {
    const { port } = await listenEcho();
    const frame = Buffer.from([0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58]); // RFC 6455 §5.7 "Hello", masked
    const client = await RawClient.connect(port, '/', {}, frame);
    const echoed = await client.next();
    expect(echoed).toMatchObject({ fin: true, opcode: 1, masked: false });
    expect(echoed?.payload.toString()).toBe('Hello');
    client.destroy();
  });
});

describe('subprotocols', () => {
  const offer = { 'Sec-WebSocket-Protocol': 'chat, superchat' };

  it('takes the first offered by default', async () => {
    const { port } = await listen();
    expect(await accepted(port, upgradeRequest('/', offer))).toBe(`${ACCEPT_101}Sec-WebSocket-Protocol: chat\r\n\r\n`);
  });

  it('answers what handleProtocols picks from the offered list', async () => {
    const seen: string[][] = [];
    const { port, wss } = await listen({ handleProtocols: (offered) => (seen.push([...offered]), 'superchat') });
    const protocols: string[] = [];
    wss.on('connection', (ws) => protocols.push(ws.protocol));
    expect(await accepted(port, upgradeRequest('/', offer))).toBe(`${ACCEPT_101}Sec-WebSocket-Protocol: superchat\r\n\r\n`);
    expect(seen).toEqual([['chat', 'superchat']]);
    expect(protocols).toEqual(['superchat']);
  });

  it('never answers a protocol that was not offered', async () => {
    const { port } = await listen({ handleProtocols: () => 'other' });
    expect(await accepted(port, upgradeRequest('/', offer))).toBe(`${ACCEPT_101}\r\n`);
  });

  it('answers none when none was offered or the hook declines', async () => {
    const { port } = await listen({ handleProtocols: () => false });
    expect(await accepted(port, upgradeRequest('/', offer))).toBe(`${ACCEPT_101}\r\n`);
    expect(await accepted(port, upgradeRequest())).toBe(`${ACCEPT_101}\r\n`);
  });
});

describe('verifyClient and origins', () => {
  it('refuses with 401 when verifyClient returns false', async () => {
    const { port } = await listen({ verifyClient: () => false });
    expect(await rawExchange(port, upgradeRequest())).toBe(refused('401 Unauthorized', 'Unauthorized'));
  });

  it('refuses with the status, reason and headers an async verifyClient gives', async () => {
    const { port } = await listen({
      verifyClient: async ({ req }) => (req.headers.authorization === 'Bearer ok' ? true : { status: 403, reason: 'bad token', headers: { 'X-Why': 'token' } }),
    });
    expect(await rawExchange(port, upgradeRequest())).toBe(refused('403 Forbidden', 'bad token', 'X-Why: token\r\n'));
    expect(await accepted(port, upgradeRequest('/', { Authorization: 'Bearer ok' }))).toBe(`${ACCEPT_101}\r\n`);
  });

  it('refuses with a bare status number', async () => {
    const { port } = await listen({ verifyClient: () => 429 });
    expect(await rawExchange(port, upgradeRequest())).toBe(refused('429 Too Many Requests', 'Too Many Requests'));
  });

  it('turns a throwing verifyClient into a 500 and reports it', async () => {
    const { port, wss } = await listen({
      verifyClient: () => {
        throw new Error('boom');
      },
    });
    const causes: unknown[] = [];
    wss.on('refused', (r) => causes.push(r.cause));
    expect(await rawExchange(port, upgradeRequest())).toBe(refused('500 Internal Server Error', 'Internal Server Error'));
    expect(causes).toEqual([new Error('boom')]);
  });

  it('admits only allow-listed origins (case-insensitive); no Origin is refused', async () => {
    const { port } = await listen({ origins: ['https://app.example'] });
    expect(await accepted(port, upgradeRequest('/', { Origin: 'https://APP.example' }))).toBe(`${ACCEPT_101}\r\n`);
    expect(await rawExchange(port, upgradeRequest('/', { Origin: 'https://evil.example' }))).toBe(refused('403 Forbidden', 'Origin not allowed'));
    expect(await rawExchange(port, upgradeRequest())).toBe(refused('403 Forbidden', 'Origin not allowed'));
  });

  it('passes origin and secure to verifyClient', async () => {
    const infos: Array<{ origin: string | undefined; secure: boolean }> = [];
    const { port } = await listen({ verifyClient: ({ origin, secure }) => (infos.push({ origin, secure }), true) });
    await accepted(port, upgradeRequest('/', { Origin: 'http://a.example' }));
    expect(infos).toEqual([{ origin: 'http://a.example', secure: false }]);
  });
});

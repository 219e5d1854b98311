/**
 * The handshake's fast path (docs/performance.md, issue 14): the 101 written as one preformatted
 * string, and a handshake without an asynchronous hook completed within `handleUpgrade` (no
 * promise, no timer, no error listener added and removed), with the same bytes and outcomes as
 * the general path.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createServer } from 'node:http';
import type { IncomingMessage, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { acceptHeaders, acceptResponse } from '../../server/socket/handshake.js';
import { WebSocketServer } from '../../server/socket/websocket-server.js';
import type { WebSocketServerOptions } from '../../server/socket/websocket-server.js';
import { RawClient, SAMPLE_KEY, rawExchange, upgradeRequest } from '../helpers/raw-client.js';
import { stopAll, track } from '../helpers/servers.js';

const httpServers = new Set<Server>();
afterEach(async () => {
  await stopAll();
  await Promise.all(
    [...httpServers].map((s) => new Promise<void>((resolve) => {
      s.closeAllConnections();
      s.close(() => resolve());
    })),
  );
  httpServers.clear();
});

/** A noServer WebSocketServer behind an http server; `seen` records, per upgrade, whether `cb` ran before handleUpgrade returned. */
async function detached(options: Omit<WebSocketServerOptions, 'port' | 'server' | 'noServer'> = {}): Promise<{ wss: WebSocketServer; port: number; seen: boolean[] }> {
  const wss = track(new WebSocketServer({ noServer: true, ...options }));
  const seen: boolean[] = [];
  const server = createServer();
  httpServers.add(server);
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    let returned = false;
    wss.handleUpgrade(req, socket, head, (ws) => {
      seen.push(!returned);
      ws.on('message', (data) => ws.send(data));
    });
    returned = true;
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { wss, port: (server.address() as AddressInfo).port, seen };
}

describe('the 101 as one string', () => {
  it('is byte for byte the header lines a headers listener would see, plus the blank line', () => {
    const cases: Array<[string, string]> = [
      ['', ''],
      ['chat', ''],
      ['', 'permessage-deflate; client_max_window_bits=15'],
      ['v2.chat', 'permessage-deflate; server_no_context_takeover'],
    ];
    for (const [protocol, extensions] of cases) {
      expect(acceptResponse(SAMPLE_KEY, protocol, extensions)).toBe(`${acceptHeaders(SAMPLE_KEY, protocol, extensions).join('\r\n')}\r\n\r\n`);
    }
    expect(acceptResponse(SAMPLE_KEY, '', '')).toBe(
      'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n',
    );
  });
});

describe('a handshake without an asynchronous hook', () => {
  it('completes within handleUpgrade, and the connection works', async () => {
    const { port, seen } = await detached();
    const client = await RawClient.connect(port);
    client.sendFrame(1, 'now');
    expect((await client.next())?.payload.toString()).toBe('now');
    expect(seen).toEqual([true]);
    client.destroy();
  });

  it('also with a synchronous verifyClient and an origin allow-list', async () => {
    const { port, seen } = await detached({ origins: ['https://a.example'], verifyClient: ({ origin }) => origin === 'https://a.example' });
    const client = await RawClient.connect(port, '/', { Origin: 'https://a.example' });
    expect(seen).toEqual([true]);
    client.destroy();
    expect(await rawExchange(port, upgradeRequest('/', { Origin: 'https://b.example' }))).toMatch(/^HTTP\/1\.1 403 Forbidden\r\n/);
    expect(seen).toEqual([true]);
  });

  it('waits for a verifyClient that answers with a promise or a callback', async () => {
    const later = await detached({ verifyClient: async () => true });
    (await RawClient.connect(later.port)).destroy();
    expect(later.seen).toEqual([false]);
    const callback = await detached({ verifyClient: (_info, cb) => cb(true) });
    (await RawClient.connect(callback.port)).destroy();
    expect(callback.seen).toEqual([false]);
  });

  it('refuses synchronously with the exact response when the synchronous hook says no or throws', async () => {
    const { port } = await detached({ verifyClient: () => false });
    expect(await rawExchange(port, upgradeRequest())).toBe(
      'HTTP/1.1 401 Unauthorized\r\nConnection: close\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 12\r\n\r\nUnauthorized',
    );
    const throwing = await detached({
      verifyClient: () => {
        throw new Error('hook bug');
      },
    });
    const refusals: number[] = [];
    throwing.wss.on('refused', (r) => refusals.push(r.status));
    expect(await rawExchange(throwing.port, upgradeRequest())).toMatch(/^HTTP\/1\.1 500 Internal Server Error\r\n/);
    expect(refusals).toEqual([500]);
  });

  it('a throwing headers listener is reported and the half-done socket is closed', async () => {
    const { wss, port } = await detached();
    wss.on('headers', () => {
      throw new Error('headers bug');
    });
    const error = new Promise<Error>((resolve) => wss.once('error', resolve));
    const reply = rawExchange(port, upgradeRequest(), 2000);
    expect((await error).message).toBe('headers bug');
    // No 101 was written, and the socket does not linger until the client leaves.
    expect(await reply).toBe('');
    expect(wss.clients.size).toBe(0);
  });
});

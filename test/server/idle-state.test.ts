/**
 * Behaviour kept while a connection's idle state was cut (docs/performance.md, issue 14): the
 * peer's half-close is finished by the stream itself (no 'end' listener per socket), and the
 * write callback, now one slot for the process, never attaches to another connection's write.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createServer } from 'node:http';
import type { IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from '../../server/socket/websocket-server.js';
import type { ServerConnection } from '../../server/socket/server-connection.js';
import { RawClient } from '../helpers/raw-client.js';
import { listen, stopAll, track } from '../helpers/servers.js';

afterEach(stopAll);

async function pairs(count: number): Promise<{ ws: ServerConnection; req: IncomingMessage; client: RawClient }[]> {
  const { wss, port } = await listen();
  const out = [];
  for (let i = 0; i < count; i++) {
    const connected = new Promise<[ServerConnection, IncomingMessage]>((resolve) => wss.once('connection', (ws, req) => resolve([ws, req])));
    const client = await RawClient.connect(port);
    const [ws, req] = await connected;
    out.push({ ws, req, client });
  }
  return out;
}

describe('idle connection state', () => {
  it('a peer that half-closes without a close frame gets our FIN and close reports 1006', async () => {
    const { ws, req, client } = (await pairs(1))[0]!;
    expect(req.socket.allowHalfOpen).toBe(false);
    const closed = new Promise<number>((resolve) => ws.once('close', (code: number) => resolve(code)));
    client.socket.end();
    expect(await closed).toBe(1006);
    await client.closed;
  });

  it("a send callback never attaches to another connection's write when its send throws", async () => {
    const [a, b] = await pairs(2);
    const calls: unknown[] = [];
    expect(() => a!.ws.ping(Buffer.alloc(200), (err) => calls.push(err))).toThrow(/125/);
    let sentB = false;
    b!.ws.send('to b', () => {
      sentB = true;
    });
    expect((await b!.client.next())?.payload.toString()).toBe('to b');
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(sentB).toBe(true);
    expect(calls).toEqual([]);
  });

  it('clears a socket timeout the http server set, and sets none on a socket that had none', async () => {
    const { req, client } = (await pairs(1))[0]!;
    expect(req.socket.timeout).toBeUndefined();
    client.destroy();
    const server = createServer();
    server.timeout = 5_000;
    const wss = track(new WebSocketServer({ server }));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const connected = new Promise<IncomingMessage>((resolve) => wss.once('connection', (_ws, r) => resolve(r)));
      const attached = await RawClient.connect((server.address() as AddressInfo).port);
      expect((await connected).socket.timeout).toBe(0);
      attached.destroy();
    } finally {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});

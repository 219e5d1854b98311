/**
 * ServerConnection.pause()/resume()/isPaused and the 'drain' promise they are used with, and the
 * echo server's slow-reader guard (in-process; the 300 MiB child-process run is in test/stress/).
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { ServerConnection } from '../../server/socket/server-connection.js';
import { DEFAULTS as CLI_DEFAULTS } from '../../server/tools/cli.js';
import { RawClient, encodeClientFrame } from '../helpers/raw-client.js';
import { listen, listenEcho, stopAll } from '../helpers/servers.js';
import { pattern } from '../helpers/frames.js';

afterEach(stopAll);

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function pair(options: Parameters<typeof listen>[0] = {}, headers: Record<string, string> = {}): Promise<{ ws: ServerConnection; client: RawClient }> {
  const { wss, port } = await listen(options);
  const connected = new Promise<ServerConnection>((resolve) => wss.once('connection', resolve));
  const client = await RawClient.connect(port, '/', headers);
  return { ws: await connected, client };
}

describe('ServerConnection.pause() / resume()', () => {
  it('stops message events until resume(), then delivers every message in order', async () => {
    const { ws, client } = await pair();
    const got: string[] = [];
    ws.on('message', (data) => got.push(data.toString()));
    expect(ws.isPaused).toBe(false);
    ws.pause();
    expect(ws.isPaused).toBe(true);
    for (let i = 0; i < 5; i++) client.sendFrame(1, `m${i}`);
    await delay(150);
    expect(got).toEqual([]);
    ws.resume();
    expect(ws.isPaused).toBe(false);
    await new Promise<void>((resolve) => ws.on('message', () => got.length === 5 && resolve()));
    expect(got).toEqual(['m0', 'm1', 'm2', 'm3', 'm4']);
  });

  it('is a no-op once closed, and a paused connection still completes a close() handshake', async () => {
    const { ws, client } = await pair();
    ws.pause();
    const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
    ws.close(1000);
    expect((await client.next())?.opcode).toBe(8);
    client.sendClose(1000);
    expect(await closed).toBe(1000);
    ws.pause();
    expect(ws.isPaused).toBe(false);
    ws.resume();
  });
});

describe("'drain' after bufferedAmount reached the high-water mark", () => {
  it('comes once queued compressions are written, even when the socket itself never filled', async () => {
    const { ws, client } = await pair({ perMessageDeflate: true }, { 'Sec-WebSocket-Extensions': 'permessage-deflate' });
    expect(ws.extensions).toContain('permessage-deflate');
    const drained = new Promise<number>((resolve) => ws.once('drain', () => resolve(ws.bufferedAmount)));
    ws.send(Buffer.alloc(200_000, 'a')); // compresses to a few hundred bytes
    expect(ws.bufferedAmount).toBeGreaterThanOrEqual(200_000);
    expect(await drained).toBeLessThan(16 * 1024);
    const frame = await client.next();
    expect(frame?.opcode).toBe(2);
    expect(frame?.rsv).toBe(4);
    expect(frame!.payload.length).toBeLessThan(2000);
  });
});

describe('echo server and a peer that does not read', () => {
  it('stops reading from it while its echoes are backed up, and echoes everything once it reads', async () => {
    const { wss, port } = await listenEcho();
    const connected = new Promise<ServerConnection>((resolve) => wss.once('connection', resolve));
    const client = await RawClient.connect(port);
    const ws = await connected;
    client.socket.pause(); // never read, for now
    const payload = pattern(64 * 1024, 5);
    const frame = encodeClientFrame(2, payload);
    const total = 512; // 32 MiB
    let received = 0;
    ws.on('message', () => received++);
    for (let i = 0; i < total; i++) client.socket.write(frame);
    // Wait until the server stopped reading (nothing new for 300 ms).
    let last = -1;
    for (let i = 0; i < 100 && received !== last; i++) {
      last = received;
      await delay(300);
    }
    expect(ws.isPaused).toBe(true);
    expect(received).toBeLessThan(total);
    // What the server holds for this peer: its echo high-water mark and at most one read's worth more.
    expect(ws.bufferedAmount).toBeLessThan(CLI_DEFAULTS.echoHighWaterMark + 2 * 1024 * 1024);
    client.socket.resume();
    for (let i = 0; i < total; i++) {
      const echoed = await client.next(10_000);
      expect(echoed?.opcode).toBe(2);
      expect(Buffer.compare(echoed!.payload, payload), `echo ${i}`).toBe(0);
    }
    expect(received).toBe(total);
    expect(ws.isPaused).toBe(false);
  });
});

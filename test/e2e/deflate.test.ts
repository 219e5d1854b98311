/**
 * e2e: Chromium's own WebSocket negotiates permessage-deflate (RFC 7692) with a
 * `WebSocketServer({ perMessageDeflate: true })` and round-trips compressed text and binary.
 * The server's socket byte counters prove that both directions really went compressed.
 */
import { createServer as createHttpServer, type IncomingMessage, type Server as HttpServer } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocketServer } from '../../server/socket/websocket-server.js';
import type { ServerConnection } from '../../server/socket/server-connection.js';
import { launchChromium, type Browser } from '../helpers/chromium.js';

describe('e2e: Chromium negotiates permessage-deflate', () => {
  let http: HttpServer;
  let wss: WebSocketServer;
  let browser: Browser;
  let origin: string;
  const seen: { offer: string | undefined; extensions: string; socket: Socket }[] = [];

  beforeAll(async () => {
    http = createHttpServer((req, res) => {
      if (req.url === '/favicon.ico') return void res.writeHead(204).end();
      res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>deflate</title>');
    });
    wss = new WebSocketServer({ server: http, path: '/ws', perMessageDeflate: true });
    wss.on('connection', (conn: ServerConnection, req: IncomingMessage) => {
      seen.push({ offer: req.headers['sec-websocket-extensions'], extensions: conn.extensions, socket: req.socket });
      conn.on('message', (data, isBinary) => conn.send(data, { binary: isBinary }));
    });
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    origin = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    for (const client of wss?.clients ?? []) client.terminate();
    await new Promise<void>((resolve) => (wss === undefined ? resolve() : wss.close(() => resolve())));
    await new Promise<void>((resolve) => http.close(() => resolve()));
  });

  it('ws.extensions is permessage-deflate; a 10 KiB text and a binary message round-trip exactly', async () => {
    const page = await browser.newPage();
    await page.goto(origin);
    const result = await page.evaluate(
      (url) =>
        new Promise<{ extensions: string; textSame: boolean; textLength: number; binarySame: boolean; binaryLength: number }>((resolve, reject) => {
          const text = Array.from({ length: 10 * 1024 }, (_, i) => String.fromCharCode(0x61 + ((i * 7) % 26))).join('');
          const binary = new Uint8Array(4096).map((_, i) => (i * 13) & 0x3f);
          const ws = new WebSocket(url);
          ws.binaryType = 'arraybuffer';
          const replies: unknown[] = [];
          ws.onerror = () => reject(new Error('websocket error'));
          ws.onopen = () => {
            ws.send(text);
            ws.send(binary);
          };
          ws.onmessage = (event) => {
            replies.push(event.data);
            if (replies.length < 2) return;
            const [t, b] = replies as [string, ArrayBuffer];
            const echoed = new Uint8Array(b);
            resolve({
              extensions: ws.extensions,
              textSame: t === text,
              textLength: t.length,
              binarySame: echoed.length === binary.length && echoed.every((x, i) => x === binary[i]),
              binaryLength: echoed.length,
            });
            ws.close(1000, 'done');
          };
        }),
      `${origin.replace('http', 'ws')}/ws`,
    );
    expect(result).toEqual({ extensions: 'permessage-deflate', textSame: true, textLength: 10 * 1024, binarySame: true, binaryLength: 4096 });
    expect(seen).toHaveLength(1);
    const [conn] = seen;
    console.info(`[e2e] Chromium offered ${JSON.stringify(conn!.offer)}; answered ${JSON.stringify(conn!.extensions)}`);
    expect(conn!.offer).toBe('permessage-deflate; client_max_window_bits');
    expect(conn!.extensions).toBe('permessage-deflate');
    // 14 KiB of messages each way; compressed, well under half of that crossed the wire
    expect(conn!.socket.bytesRead).toBeLessThan(7 * 1024);
    expect(conn!.socket.bytesWritten).toBeLessThan(7 * 1024);
    await page.close();
  });
});

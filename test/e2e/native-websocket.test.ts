import { readFileSync } from 'node:fs';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type TandemServer } from '../../server/index.js';
import { launchChromium, type Browser } from '../helpers/chromium.js';

interface Bytes {
  client: { requests: { echo: { request: { bytes: Uint8Array; label: string }; response: { bytes: Uint8Array; length: number } } } };
  server: { events: { blob: ArrayBuffer } };
}

const UMD = readFileSync(new URL('../../dist/tandem.umd.min.js', import.meta.url));

describe('e2e: Chromium\'s own WebSocket against the Tandem server', () => {
  let http: HttpServer;
  let server: TandemServer<Bytes>;
  let browser: Browser;
  let origin: string;

  beforeAll(async () => {
    http = createHttpServer((req, res) => {
      if (req.url === '/tandem.umd.min.js') return void res.writeHead(200, { 'content-type': 'text/javascript' }).end(UMD);
      if (req.url === '/favicon.ico') return void res.writeHead(204).end();
      res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>native</title><script src="/tandem.umd.min.js"></script>');
    });
    server = createServer<Bytes>({ server: http, path: '/ws', perMessageDeflate: true });
    server.handle('echo', ({ bytes }) => ({ bytes, length: bytes.byteLength }));
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    origin = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close({ timeout: 500 });
    await new Promise<void>((resolve) => http.close(() => resolve()));
  });

  it('negotiates the handshake (ws.extensions recorded) and speaks hello/welcome on a raw WebSocket', async () => {
    const page = await browser.newPage();
    await page.goto(origin);
    const result = await page.evaluate(
      (url) =>
        new Promise<{ extensions: string; protocol: string; welcome: unknown; readyState: number }>((resolve, reject) => {
          const ws = new WebSocket(url);
          ws.onerror = () => reject(new Error('websocket error'));
          ws.onopen = () => ws.send(JSON.stringify({ v: 1, type: 'hello' }));
          ws.onmessage = (event) => {
            resolve({ extensions: ws.extensions, protocol: ws.protocol, welcome: JSON.parse(event.data as string), readyState: ws.readyState });
            ws.close(1000, 'done');
          };
        }),
      `${origin.replace('http', 'ws')}/ws`,
    );
    // Chromium offers `permessage-deflate; client_max_window_bits`; the typed server accepts it.
    console.info(`[e2e] Chromium ws.extensions = ${JSON.stringify(result.extensions)}`);
    expect(result.extensions).toBe('permessage-deflate');
    expect(result.protocol).toBe('');
    expect(result.welcome).toMatchObject({ v: 1, type: 'welcome' });
    expect(result.readyState).toBe(1);
    await page.close();
  });

  it('binary payloads round-trip through the UMD client, as Uint8Array and ArrayBuffer', async () => {
    server.once('connection', (peer) => {
      const buffer = new Uint8Array(256).map((_, i) => 255 - i).buffer;
      setTimeout(() => peer.emit('blob', buffer), 50); // after the page registered its listener
    });
    const page = await browser.newPage();
    await page.goto(origin);
    const result = await page.evaluate(async (url) => {
      const client = (window as any).Tandem.createClient(url, { reconnect: false });
      const blob = new Promise<ArrayBuffer>((resolve) => client.on('blob', resolve));
      const bytes = new Uint8Array(70_000).map((_, i) => (i * 31) & 0xff);
      const answer = await client.request('echo', { bytes, label: 'big' });
      const received = await blob;
      client.close();
      const same = answer.bytes instanceof Uint8Array && answer.bytes.length === bytes.length && answer.bytes.every((b: number, i: number) => b === bytes[i]);
      return { same, length: answer.length, blobIsBuffer: received instanceof ArrayBuffer, blobFirst: Array.from(new Uint8Array(received).slice(0, 3)) };
    }, `${origin.replace('http', 'ws')}/ws`);
    expect(result).toEqual({ same: true, length: 70_000, blobIsBuffer: true, blobFirst: [255, 254, 253] });
    expect(browser.errors).toEqual([]);
    await page.close();
  });
});

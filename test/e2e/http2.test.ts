/**
 * Chromium's own WebSocket over HTTP/2 (RFC 8441): the page comes from an HTTP/2 TLS server
 * (self-signed certificate, `--ignore-certificate-errors`), and `new WebSocket('wss://…')` then
 * rides that HTTP/2 connection as an extended CONNECT stream — asserted on the server side, from
 * the request each connection arrived with, not assumed. With the HTTP/2 attachment off, the
 * same page falls back to the HTTP/1.1 Upgrade on the same port. Pages chat through the typed
 * client (UMD) either way; the demo in `--h2` mode shows the protocol the server saw.
 */
import { readFileSync } from 'node:fs';
import { createSecureServer } from 'node:http2';
import type { Http2SecureServer } from 'node:http2';
import type { AddressInfo } from 'node:net';
import type { Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type TandemServer } from '../../server/index.js';
import { launchChromium, type Browser } from '../helpers/chromium.js';
import { testCertificate } from '../helpers/h2-client.js';
import { DemoProcess, freePort } from './demo-process.js';

type Chat = {
  client: { events: { say: { text: string } } };
  server: { events: { message: { text: string } } };
};

const UMD = readFileSync(new URL('../../dist/tandem.umd.min.js', import.meta.url));

/** How a connection's handshake reached the server. */
interface Arrival {
  readonly method: unknown;
  readonly protocol: unknown;
  readonly upgrade: unknown;
}

let browser: Browser;
beforeAll(async () => {
  browser = await launchChromium({ args: ['--ignore-certificate-errors'] });
});
afterAll(async () => {
  await browser?.close();
});

/** An HTTP/2 TLS server (allowHTTP1) serving a page, with the typed chat server attached on /ws. */
async function startSite(http2: boolean): Promise<{ origin: string; arrivals: Arrival[]; stop: () => Promise<void> }> {
  const site: Http2SecureServer = createSecureServer({ ...testCertificate(), allowHTTP1: true }, (req, res) => {
    if (req.url === '/tandem.umd.min.js') return void res.writeHead(200, { 'content-type': 'text/javascript' }).end(UMD);
    if (req.url === '/favicon.ico') return void res.writeHead(204).end();
    res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>h2</title><script src="/tandem.umd.min.js"></script>');
  });
  const chat: TandemServer<Chat> = createServer<Chat>({ server: site, path: '/ws', http2, perMessageDeflate: true });
  const arrivals: Arrival[] = [];
  chat.on('connection', (peer) => {
    const h = peer.handshake.headers;
    arrivals.push({ method: h[':method'], protocol: h[':protocol'], upgrade: h['upgrade'] });
    peer.join('room');
    peer.on('say', ({ text }) => chat.to('room').emit('message', { text }));
  });
  // Chromium keeps its connections for later pages: the test's stop() cuts them.
  const sockets = new Set<{ destroy(): void }>();
  site.on('secureConnection', (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => site.listen(0, '127.0.0.1', resolve));
  const origin = `https://127.0.0.1:${(site.address() as AddressInfo).port}`;
  return {
    origin,
    arrivals,
    stop: async () => {
      await chat.close({ timeout: 500 });
      const closed = new Promise<void>((resolve) => site.close(() => resolve()));
      for (const socket of sockets) socket.destroy();
      await closed;
    },
  };
}

/** Opens the typed client in `page` and resolves once it is open. */
async function openClient(page: Page, origin: string): Promise<void> {
  await page.goto(origin);
  await page.evaluate(
    (url) =>
      new Promise<void>((resolve, reject) => {
        const w = window as unknown as { Tandem: { createClient(url: string): any }; client: any; received: string[] };
        w.received = [];
        w.client = w.Tandem.createClient(url);
        w.client.on('message', ({ text }: { text: string }) => w.received.push(text));
        w.client.lifecycle.once('open', () => resolve());
        w.client.lifecycle.once('close', (info: { code: number }) => reject(new Error(`closed ${info.code}`)));
      }),
    `${origin.replace('https', 'wss')}/ws`,
  );
}

async function chat(ada: Page, bob: Page): Promise<void> {
  await ada.evaluate(() => (window as unknown as { client: any }).client.emit('say', { text: 'hello over the wire' }));
  await bob.waitForFunction(() => (window as unknown as { received: string[] }).received.length === 1, undefined, { timeout: 10_000 });
  expect(await bob.evaluate(() => (window as unknown as { received: string[] }).received)).toEqual(['hello over the wire']);
}

describe('e2e: Chromium WebSockets over HTTP/2', () => {
  const stops: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const stop of stops.splice(0)) await stop();
  });

  it('the page\'s wss:// WebSocket arrives as an extended CONNECT on its HTTP/2 connection, and chats', async () => {
    const site = await startSite(true);
    stops.push(site.stop);
    const [ada, bob] = [await browser.newPage(), await browser.newPage()];
    await openClient(ada, site.origin);
    await openClient(bob, site.origin);
    const protocol = await ada.evaluate(() => (performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming).nextHopProtocol);
    expect(protocol).toBe('h2'); // the page itself came over HTTP/2
    expect(site.arrivals).toEqual([
      { method: 'CONNECT', protocol: 'websocket', upgrade: undefined },
      { method: 'CONNECT', protocol: 'websocket', upgrade: undefined },
    ]);
    await chat(ada, bob);
    await Promise.all([ada.close(), bob.close()]);
  });

  it('with the HTTP/2 attachment off, the same page falls back to the HTTP/1.1 Upgrade on the same port', async () => {
    const site = await startSite(false);
    stops.push(site.stop);
    const [ada, bob] = [await browser.newPage(), await browser.newPage()];
    await openClient(ada, site.origin);
    await openClient(bob, site.origin);
    // An HTTP/1.1 request has no pseudo-headers: a GET with Upgrade (its method is not a header).
    expect(site.arrivals).toEqual([
      { method: undefined, protocol: undefined, upgrade: 'websocket' },
      { method: undefined, protocol: undefined, upgrade: 'websocket' },
    ]);
    await chat(ada, bob);
    await Promise.all([ada.close(), bob.close()]);
  });

  it('the demo in --h2 mode: the page shows the protocol the server saw', async () => {
    const demo = new DemoProcess(await freePort(), { args: ['--h2'] });
    await demo.start();
    stops.push(() => demo.kill());
    const page = await browser.newPage();
    await page.goto(`https://127.0.0.1:${demo.port}`);
    await page.fill('#name', 'ada');
    await page.fill('#room', 'h2');
    await page.click('#join button[type=submit]');
    await page.waitForSelector('#state[data-state="open"]');
    await page.waitForFunction(() => document.querySelector('#transport')?.textContent !== '–');
    expect(await page.textContent('#transport')).toBe('WebSocket over HTTP/2');
    await page.fill('#text', 'hi over h2');
    await page.click('#compose button[type=submit]');
    await page.waitForFunction(() => [...document.querySelectorAll('#messages li')].some((li) => li.textContent?.includes('hi over h2')));
    await page.close();
  });
});

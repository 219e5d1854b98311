import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, type Browser } from '../helpers/chromium.js';

describe('e2e smoke: Chromium drives a page from a local http server', () => {
  let http: Server;
  let browser: Browser;
  let origin: string;

  beforeAll(async () => {
    http = createServer((req, res) => {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end(`<!doctype html><title>smoke</title><p id="p">${req.url === '/' ? 'hello' : 'other'}</p>`);
    });
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    origin = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await new Promise<void>((resolve) => http.close(() => resolve()));
  });

  it('loads the page and reads the DOM', async () => {
    const page = await browser.newPage();
    await page.goto(`${origin}/`);
    expect(await page.title()).toBe('smoke');
    expect(await page.textContent('#p')).toBe('hello');
    expect(await page.evaluate(() => typeof WebSocket)).toBe('function');
    expect(browser.errors).toEqual([]);
  });
});

import { mkdirSync } from 'node:fs';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, type Browser } from '../helpers/chromium.js';
import { DemoProcess, freePort } from './demo-process.js';

/** Join the demo as `name` in `room`, wait until the page says open. */
async function join(page: Page, origin: string, name: string, room: string): Promise<void> {
  await page.goto(origin);
  await page.fill('#name', name);
  await page.fill('#room', room);
  await page.click('#join button[type=submit]');
  await page.waitForSelector('#state[data-state="open"]');
}

async function say(page: Page, text: string): Promise<void> {
  await page.fill('#text', text);
  await page.click('#compose button[type=submit]');
}

const messageTexts = (page: Page) => page.$$eval('#messages li:not(.system)', (items) => items.map((li) => li.textContent ?? ''));

describe('e2e: the demo chat in Chromium', () => {
  let browser: Browser;
  let demo: DemoProcess;
  let origin: string;

  beforeAll(async () => {
    demo = new DemoProcess(await freePort());
    await demo.start();
    origin = `http://127.0.0.1:${demo.port}`;
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await demo?.kill();
  });

  it('Chromium negotiates permessage-deflate with the demo server', async () => {
    const page = await browser.newPage();
    await page.goto(origin);
    const extensions = await page.evaluate(
      (url) =>
        new Promise<string>((resolve, reject) => {
          const ws = new WebSocket(url);
          ws.onerror = () => reject(new Error('websocket error'));
          ws.onopen = () => {
            resolve(ws.extensions);
            ws.close(1000);
          };
        }),
      `${origin.replace('http', 'ws')}/chat`,
    );
    expect(extensions).toBe('permessage-deflate');
    await page.close();
  });

  it('two pages in a room see each other and each other\'s messages', async () => {
    const ada = await browser.newPage();
    const bob = await browser.newPage();
    await join(ada, origin, 'ada', 'lobby');
    await join(bob, origin, 'bob', 'lobby');
    await ada.waitForFunction(() => document.querySelector('#online-count')?.textContent === '2');
    expect(await ada.$$eval('#users li', (li) => li.map((l) => l.textContent))).toEqual(['ada', 'bob']);
    await say(ada, 'hello bob');
    await bob.waitForFunction(() => document.querySelector('#messages')?.textContent?.includes('hello bob'));
    await say(bob, 'hi ada');
    await ada.waitForFunction(() => document.querySelector('#messages')?.textContent?.includes('hi ada'));
    expect((await messageTexts(ada)).map((t) => t.replace(/\d.*$/, ''))).toEqual(['adahello bob', 'bobhi ada']);
    // the latency probe is a typed request round trip
    await ada.waitForFunction(() => /^\d+ ms$/.test(document.querySelector('#latency')?.textContent ?? ''));
    mkdirSync('test-results', { recursive: true });
    await ada.screenshot({ path: 'test-results/demo-two-users.png' });
    expect(browser.errors).toEqual([]);
    await ada.close();
    await bob.close();
  });

  it('a typed request and its typed error', async () => {
    const page = await browser.newPage();
    await join(page, origin, 'carol', 'typed');
    const ok = await page.evaluate(() => (window as any).demo.client.request('clock'));
    expect(typeof ok.now).toBe('number');
    const failure = await page.evaluate(() =>
      (window as any).demo.client.request('join', { room: 'not a room!' }).then(
        () => null,
        (err: { code: string; message: string; isRequestError: boolean }) => ({ isRequestError: err.isRequestError, code: err.code, message: err.message }),
      ),
    );
    expect(failure).toEqual({ isRequestError: true, code: 'invalid_room', message: 'a room name is 1-24 letters, digits or dashes' });
    // the same error through the UI
    await page.fill('#room', 'bad room');
    await page.click('#join button[type=submit]');
    await page.waitForFunction(() => document.querySelector('#join-error')?.textContent?.startsWith('invalid_room:'));
    await page.close();
  });

  it('server killed → both pages reconnecting → restarted → they chat again, queued message delivered', async () => {
    const ada = await browser.newPage();
    const bob = await browser.newPage();
    await join(ada, origin, 'ada', 'restart');
    await join(bob, origin, 'bob', 'restart');
    await demo.kill();
    await ada.waitForSelector('#state[data-state="reconnecting"]');
    await bob.waitForSelector('#state[data-state="reconnecting"]');
    await say(ada, 'sent while the server was down');
    await ada.waitForFunction(() => document.querySelector('#messages')?.textContent?.includes('queued: sent while the server was down'));
    await demo.start();
    await ada.waitForSelector('#state[data-state="open"]', { timeout: 30_000 });
    await bob.waitForSelector('#state[data-state="open"]', { timeout: 30_000 });
    // a new server process cannot resume the session: the page says so and reloads the room history
    await ada.waitForFunction(() => /^reconnected without resume \(\w+\): history reloaded$/.test(document.querySelector('#resume:not([hidden])')?.textContent ?? ''));
    // the queued message reached the new server, which relayed it (live or as room history)
    await bob.waitForFunction(() => document.querySelector('#messages')?.textContent?.includes('adasent while the server was down'));
    await say(bob, 'back again');
    await ada.waitForFunction(() => document.querySelector('#messages')?.textContent?.includes('bobback again'));
    await bob.waitForFunction(() => document.querySelector('#online-count')?.textContent === '2');
    await ada.close();
    await bob.close();
  });
});

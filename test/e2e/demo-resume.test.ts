/**
 * Session resume in a real browser (issue 10): the demo page, on the UMD bundle, behind the fault
 * proxy (server/tools/proxy). Cut TCP connections must be invisible to the chat — every line
 * exactly once, in order, on both pages, no "reconnecting", no "not resumed" notice — while a new
 * server process must be announced and the room history reloaded.
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createProxy, type FaultProxy } from '../../server/tools/proxy/index.js';
import { launchChromium, type Browser } from '../helpers/chromium.js';
import { DemoProcess, freePort } from './demo-process.js';

/** Cuts in the blip test; each waits for both pages to resume before the next one. */
const CUTS = 5;
/** Each page says a line this often while the connections are being cut. */
const SAY_EVERY = 25;

/** What a page's client and DOM went through, recorded in the page from the moment it is armed. */
interface Recording {
  /** Every `message` event the client delivered, as `from:text` (before the app's de-duplication by id). */
  got: string[];
  states: string[];
  opens: Array<{ resumed: boolean; reason?: string }>;
  closes: Array<{ code: number; resuming: boolean }>;
  presence: number;
  /** Every `data-state` the badge took, and whether the "not resumed" notice was ever shown. */
  badge: string[];
  noticeShown: boolean;
}

async function join(page: Page, origin: string, name: string, room: string): Promise<void> {
  await page.goto(origin);
  await page.fill('#name', name);
  await page.fill('#room', room);
  await page.click('#join button[type=submit]');
  await page.waitForSelector('#state[data-state="open"]');
}

/** Start recording in the page: client events (lifecycle and contract) and DOM changes. */
async function arm(page: Page): Promise<void> {
  await page.evaluate(() => {
    const w = window as any;
    const rec = { got: [], states: [], opens: [], closes: [], presence: 0, badge: [], noticeShown: false } as any;
    w.rec = rec;
    const client = w.demo.client;
    client.on('message', (m: { from: string; text: string }) => rec.got.push(`${m.from}:${m.text}`));
    client.on('presence', () => rec.presence++);
    client.lifecycle.on('state', (state: string) => rec.states.push(state));
    client.lifecycle.on('open', (info: { resumed: boolean; reason?: string }) => rec.opens.push({ ...info }));
    client.lifecycle.on('close', (info: { code: number; resuming: boolean }) => rec.closes.push({ code: info.code, resuming: info.resuming }));
    const badge = document.getElementById('state')!;
    const notice = document.getElementById('resume')!;
    new MutationObserver(() => rec.badge.push(badge.dataset.state)).observe(badge, { attributes: true, attributeFilter: ['data-state'] });
    new MutationObserver(() => (rec.noticeShown ||= !notice.hidden)).observe(notice, { attributes: true, attributeFilter: ['hidden'] });
  });
}

const recording = (page: Page): Promise<Recording> => page.evaluate(() => (window as any).rec);

/** Say `name-0`, `name-1`… through the compose form every `every` ms until stopped. */
async function startSaying(page: Page, name: string, every: number): Promise<void> {
  await page.evaluate(
    ({ name, every }) => {
      const w = window as any;
      const input = document.getElementById('text') as HTMLInputElement;
      const form = document.getElementById('compose') as HTMLFormElement;
      w.saying = { n: 0, timer: 0 };
      w.saying.timer = setInterval(() => {
        input.value = `${name}-${w.saying.n++}`;
        form.requestSubmit();
      }, every);
    },
    { name, every },
  );
}

const stopSaying = (page: Page): Promise<number> =>
  page.evaluate(() => {
    const w = window as any;
    clearInterval(w.saying.timer);
    return w.saying.n as number;
  });

/** The chat lines the page shows, as `from:text`; system notes apart. */
const shownLines = (page: Page) =>
  page.$$eval('#messages li', (items) =>
    items.map((li) => (li.classList.contains('system') ? `system:${li.textContent}` : `${li.querySelector('.from')?.textContent}:${li.childNodes[1]?.textContent}`)),
  );

const opensOf = (page: Page): Promise<number> => page.evaluate(() => (window as any).rec.opens.length);

describe('e2e: the demo chat resumes through cut connections (Chromium, fault proxy)', () => {
  let browser: Browser;
  let demo: DemoProcess;
  let proxy: FaultProxy | undefined;

  const startProxy = async (listen = 0): Promise<FaultProxy> => {
    const started = await createProxy({ listen, target: { host: '127.0.0.1', port: demo.port } });
    started.on('error', () => undefined);
    return started;
  };

  beforeAll(async () => {
    demo = new DemoProcess(await freePort());
    await demo.start();
    proxy = await startProxy();
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await proxy?.close();
    await demo?.kill();
  });

  it(`${CUTS} cuts while both pages chat: every line once and in order on both, state stays open, no notice`, async () => {
    const origin = `http://127.0.0.1:${proxy!.port}`;
    const ada = await browser.newPage();
    const bob = await browser.newPage();
    await join(ada, origin, 'ada', 'blips');
    await join(bob, origin, 'bob', 'blips');
    for (const page of [ada, bob]) await page.waitForFunction(() => document.querySelector('#online-count')?.textContent === '2');
    await arm(ada);
    await arm(bob);
    await startSaying(ada, 'ada', SAY_EVERY);
    await startSaying(bob, 'bob', SAY_EVERY);
    let cut = 0;
    for (let i = 0; i < CUTS; i++) {
      await new Promise((resolve) => setTimeout(resolve, 300));
      cut += proxy!.cutAll();
      // both WebSockets (and any idle HTTP keep-alive) were reset; wait for both sessions to resume
      for (const page of [ada, bob]) await page.waitForFunction((n) => (window as any).rec.opens.length === n, i + 1, { timeout: 10_000 });
    }
    await new Promise((resolve) => setTimeout(resolve, 300));
    const said = { ada: await stopSaying(ada), bob: await stopSaying(bob) };
    const total = said.ada + said.bob;
    for (const page of [ada, bob]) await page.waitForFunction((n) => (window as any).rec.got.length >= n, total, { timeout: 10_000 });
    await new Promise((resolve) => setTimeout(resolve, 200)); // a duplicate would arrive now

    expect(cut).toBeGreaterThanOrEqual(2 * CUTS);
    expect(said.ada).toBeGreaterThan(50);
    expect(said.bob).toBeGreaterThan(50);
    const expected = (name: 'ada' | 'bob') => Array.from({ length: said[name] }, (_, i) => `${name}:${name}-${i}`);
    const adaRec = await recording(ada);
    const bobRec = await recording(bob);
    for (const rec of [adaRec, bobRec]) {
      expect(rec.got).toHaveLength(total); // none lost, none duplicated
      expect(rec.got.filter((line) => line.startsWith('ada:'))).toEqual(expected('ada')); // in order
      expect(rec.got.filter((line) => line.startsWith('bob:'))).toEqual(expected('bob'));
      expect(rec.opens).toEqual(Array.from({ length: CUTS }, () => ({ resumed: true })));
      expect(rec.closes).toHaveLength(CUTS);
      expect(rec.closes.every((c) => c.code === 1006 && c.resuming)).toBe(true);
      expect(rec.states).toEqual([]); // never 'reconnecting'
      expect(rec.badge).toEqual([]);
      expect(rec.noticeShown).toBe(false);
      expect(rec.presence).toBe(0); // the server app saw no disconnect and no new connection
    }
    // one server, one order: both pages saw the same sequence
    expect(bobRec.got).toEqual(adaRec.got);
    // what the pages show: the same lines, no "queued" note, no notice, the badge open
    for (const page of [ada, bob]) {
      expect(await shownLines(page)).toEqual(adaRec.got);
      expect(await page.$eval('#resume', (el) => (el as HTMLElement).hidden)).toBe(true);
      expect(await page.$eval('#state', (el) => (el as HTMLElement).dataset.state)).toBe('open');
    }
    expect(browser.errors).toEqual([]);
    await ada.close();
    await bob.close();
  });

  it('a new server process: the page says it did not resume and reloads the room history', async () => {
    const origin = `http://127.0.0.1:${proxy!.port}`;
    const ada = await browser.newPage(); // through the proxy
    const bob = await browser.newPage(); // direct
    await join(ada, origin, 'ada', 'restart');
    await join(bob, `http://127.0.0.1:${demo.port}`, 'bob', 'restart');
    await arm(ada);
    await arm(bob);
    await bob.fill('#text', 'before the restart');
    await bob.click('#compose button[type=submit]');
    await ada.waitForFunction(() => (window as any).rec.got.includes('bob:before the restart'));

    // ada's network goes away (the proxy stops), and while she is away the server restarts
    const proxyPort = proxy!.port;
    await proxy!.close();
    proxy = undefined;
    await ada.waitForSelector('#state[data-state="reconnecting"]');
    await ada.fill('#text', 'written while away');
    await ada.click('#compose button[type=submit]');
    await demo.kill();
    await demo.start();

    // bob is back first: a new process cannot resume the session, and the page says so
    await bob.waitForFunction(() => (window as any).rec.opens.length === 1, undefined, { timeout: 30_000 });
    expect((await recording(bob)).opens).toEqual([{ resumed: false, reason: 'restart' }]);
    await bob.waitForFunction(() => document.querySelector('#resume:not([hidden])')?.textContent === 'reconnected without resume (restart): history reloaded');
    for (const text of ['while ada was away 1', 'while ada was away 2']) {
      await bob.fill('#text', text);
      await bob.click('#compose button[type=submit]');
    }
    await bob.waitForFunction(() => (window as any).rec.got.includes('bob:while ada was away 2'));

    // ada's network is back; she missed bob's lines, and gets them from the reloaded history
    proxy = await startProxy(proxyPort);
    await ada.evaluate(() => (window as any).demo.client.reconnect());
    await ada.waitForFunction(() => (window as any).rec.opens.length === 1, undefined, { timeout: 10_000 });
    expect((await recording(ada)).opens).toEqual([{ resumed: false, reason: 'restart' }]);
    await ada.waitForFunction(() => document.querySelector('#resume:not([hidden])')?.textContent === 'reconnected without resume (restart): history reloaded');
    const after = ['bob:while ada was away 1', 'bob:while ada was away 2', 'ada:written while away'];
    for (const page of [ada, bob]) await page.waitForFunction((n) => document.querySelectorAll('#messages li:not(.system)').length >= n, after.length);
    await new Promise((resolve) => setTimeout(resolve, 200)); // a duplicate would arrive now
    // the list was cleared (the old process's line is gone with its history) and refilled, each line once
    expect(await shownLines(ada)).toEqual(after);
    expect(await shownLines(bob)).toEqual(after);
    // the line written while away was sent once, in the new session (not lost with the old one)
    expect((await recording(ada)).got.filter((line) => line === 'ada:written while away')).toHaveLength(1);
    expect((await recording(bob)).got.filter((line) => line === 'ada:written while away')).toHaveLength(1);
    await ada.waitForSelector('#state[data-state="open"]');
    await ada.close();
    await bob.close();
  });
});

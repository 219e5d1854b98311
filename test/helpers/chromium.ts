/**
 * Real-browser helpers for the e2e suite: Debian's Chromium driven by playwright-core (no browser
 * download is possible here), headless, with a fresh user-data directory per launch.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

/** The Chromium binary: `/usr/bin/chromium` unless `TANDEM_CHROMIUM` names another. */
export const CHROMIUM_PATH = process.env['TANDEM_CHROMIUM'] ?? '/usr/bin/chromium';

const ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

/** A running browser with its own profile; `close()` also deletes the profile. */
export interface Browser {
  readonly context: BrowserContext;
  /** Open a new page (tab); console errors are collected in `errors`. */
  newPage(): Promise<Page>;
  /** Uncaught page errors and console errors from every page, for assertions. */
  readonly errors: string[];
  close(): Promise<void>;
}

/**
 * Launch headless Chromium with a fresh user-data dir; `args` are added to the defaults (e.g.
 * `--ignore-certificate-errors` for a self-signed certificate).
 */
export async function launchChromium(options: { readonly args?: readonly string[] } = {}): Promise<Browser> {
  const userDataDir = mkdtempSync(join(tmpdir(), 'tandem-e2e-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [...ARGS, ...(options.args ?? [])],
    viewport: { width: 900, height: 640 },
  });
  const errors: string[] = [];
  return {
    context,
    errors,
    async newPage() {
      const page = await context.newPage();
      page.on('pageerror', (err) => errors.push(`pageerror: ${err.message}`));
      page.on('console', (msg) => {
        if (msg.type() === 'error') errors.push(`console: ${msg.text()}`);
      });
      return page;
    },
    async close() {
      await context.close();
      rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}

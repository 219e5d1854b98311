/**
 * The whole conformance suite against the built CLI in a child process
 * (`node bin/tandem.mjs echo --port 0`; needs `npm run build`, which `npm test` runs first).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { RawClient, closeCodeOf } from '../helpers/raw-client.js';
import { runCase } from './cases.js';
import { ALL_SECTIONS } from './sections/index.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
let child: ChildProcess | undefined;
let stdout = '';
let port = 0;

function exited(p: ChildProcess): Promise<number | null> {
  if (p.exitCode !== null) return Promise.resolve(p.exitCode);
  return new Promise((resolve) => p.once('exit', (code) => resolve(code)));
}

beforeAll(async () => {
  if (!existsSync(`${root}dist/cli.js`)) throw new Error('dist/cli.js is missing: run "npm run build" first');
  const p = spawn(process.execPath, ['bin/tandem.mjs', 'echo', '--port', '0', '--host', '127.0.0.1'], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  child = p;
  port = await new Promise<number>((resolve, reject) => {
    p.stdout!.on('data', (c: Buffer) => {
      stdout += c.toString();
      const m = /^listening (\d+)\n$/.exec(stdout);
      if (m) resolve(Number(m[1]));
    });
    p.once('exit', (code) => reject(new Error(`CLI exited with ${code}: ${stdout}`)));
  });
});

afterAll(async () => {
  if (child !== undefined && child.exitCode === null) {
    child.kill('SIGKILL');
    await exited(child);
  }
});

describe('echo CLI (child process)', () => {
  it('prints exactly "listening <port>" with the real port', () => {
    expect(stdout).toBe(`listening ${port}\n`);
    expect(port).toBeGreaterThan(0);
  });

  for (const [name, cases] of ALL_SECTIONS) {
    describe(`Autobahn section ${name}`, () => {
      for (const testCase of cases) it(`${testCase.id} ${testCase.title}`, { timeout: 30_000 }, () => runCase(port, testCase));
    });
  }

  it('SIGTERM closes open connections with 1001 and exits 0', async () => {
    const client = await RawClient.connect(port);
    child!.kill('SIGTERM');
    const frame = await client.next();
    expect(frame?.opcode).toBe(8);
    expect(closeCodeOf(frame!)).toBe(1001);
    client.sendClose(1001);
    expect(await exited(child!)).toBe(0);
    client.destroy();
  });
});

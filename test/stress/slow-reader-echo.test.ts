/**
 * Issue 14's slow-reader run against the built echo CLI in a child process: a peer sends 300 MiB
 * of 64 KiB binary messages and does not read. The echo server must stop reading from it (pause
 * until 'drain') so its RSS grows by less than 200 MiB while the peer stays open; once the peer
 * reads, every message comes back intact. About 10-30 s: run by `npm run test:stress` (and
 * .ci/run), not by `npm test`. Needs `npm run build`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { RawClient, encodeClientFrame } from '../helpers/raw-client.js';
import { pattern } from '../helpers/frames.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const MESSAGE_BYTES = 64 * 1024;
const MESSAGES = (300 * 1024 * 1024) / MESSAGE_BYTES; // 4,800
const MAX_GROWTH_BYTES = 200 * 1024 * 1024;
let child: ChildProcess | undefined;
let port = 0;

/** VmRSS of `pid` in bytes, from /proc/<pid>/status. */
function rssOf(pid: number): number {
  const line = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (line === null) throw new Error(`no VmRSS for ${pid}`);
  return Number(line[1]) * 1024;
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

beforeAll(async () => {
  if (!existsSync(`${root}dist/cli.js`)) throw new Error('dist/cli.js is missing: run "npm run build" first');
  const p = spawn(process.execPath, ['bin/tandem.mjs', 'echo', '--port', '0', '--host', '127.0.0.1'], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
  child = p;
  port = await new Promise<number>((resolve, reject) => {
    let out = '';
    p.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      const m = /^listening (\d+)\n$/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    p.once('exit', (code) => reject(new Error(`echo CLI exited with ${code}`)));
  });
});

afterAll(async () => {
  if (child !== undefined && child.exitCode === null) {
    const exited = new Promise((resolve) => child!.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  }
});

describe('echo CLI and a peer that sends 300 MiB without reading', () => {
  it('keeps the server RSS growth under 200 MiB with the peer open, then echoes all 4,800 messages', { timeout: 180_000 }, async () => {
    const pid = child!.pid!;
    const client = await RawClient.connect(port);
    client.socket.pause(); // the slow reader: no reads until the end
    const payload = pattern(MESSAGE_BYTES, 11);
    const frame = encodeClientFrame(2, payload);
    await delay(200);
    const before = rssOf(pid);
    // One frame object written 4,800 times: the client's own buffer holds references, not copies.
    for (let i = 0; i < MESSAGES; i++) client.socket.write(frame);
    // Until the server stops taking bytes: the client's queue has not shrunk for 2 s.
    let peak = before;
    let queued = client.socket.writableLength;
    let stableSince = Date.now();
    const deadline = Date.now() + 120_000;
    while (Date.now() - stableSince < 2000 && Date.now() < deadline) {
      await delay(250);
      peak = Math.max(peak, rssOf(pid));
      const now = client.socket.writableLength;
      if (now !== queued) {
        queued = now;
        stableSince = Date.now();
      }
    }
    const unread = client.socket.writableLength;
    const growth = peak - before;
    // The server did stop reading (most of the 300 MiB is still queued at the client)...
    expect(unread).toBeGreaterThan(200 * 1024 * 1024);
    // ...and holds far less than what it was sent.
    expect(growth, `server RSS grew by ${(growth / 2 ** 20).toFixed(1)} MiB`).toBeLessThan(MAX_GROWTH_BYTES);
    expect(rssOf(pid) - before).toBeLessThan(MAX_GROWTH_BYTES);

    // The peer starts reading: everything it sent comes back, in order, byte for byte.
    client.socket.resume();
    for (let i = 0; i < MESSAGES; i++) {
      const echoed = await client.next(30_000);
      expect(echoed?.opcode, `echo ${i}`).toBe(2);
      if (Buffer.compare(echoed!.payload, payload) !== 0) expect.fail(`echo ${i} differs from what was sent`);
    }
    client.sendClose(1000);
    expect((await client.next(10_000))?.opcode).toBe(8);
    client.destroy();
  });
});

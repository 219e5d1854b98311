/**
 * `tandem proxy` on the command line: argument parsing in process, then the built CLI in a child
 * process (`node bin/tandem.mjs proxy …`; needs `npm run build`, which `npm test` runs first).
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { main } from '../../../../server/tools/cli.js';
import { flagOf, parseProxyArgs, PROXY_USAGE } from '../../../../server/tools/proxy/command.js';
import { FaultProxy } from '../../../../server/tools/proxy/proxy.js';
import { listenEcho } from '../../../helpers/servers.js';
import { closeAll, wsClosed, wsMessage, wsOpen } from './proxy-fixtures.js';

const root = fileURLToPath(new URL('../../../../', import.meta.url));
const children = new Set<ChildProcess>();
const started = new Set<FaultProxy>();

afterEach(async () => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  children.clear();
  await Promise.all([...started].map((p) => p.close()));
  started.clear();
  await closeAll();
});

function io(): { out(t: string): void; err(t: string): void; stdout: string; stderr: string } {
  const captured = { stdout: '', stderr: '' };
  return Object.assign(captured, { out: (t: string) => void (captured.stdout += t), err: (t: string) => void (captured.stderr += t) });
}

describe('tandem proxy arguments', () => {
  it('maps flags to options, with units and per-direction suffixes', () => {
    const args = ['--listen', '9000', '--target', '127.0.0.1:8080', '--cut-after', '1s-5s', '--latency', '50ms', '--jitter', '20ms', '--bandwidth', '64kb', '--latency-down', '200ms', '--cut-every-bytes-up', '1mb', '--blackhole', 'down', '--blackhole-after', '10s', '--seed', '42', '--max-buffered', '256kb'];
    expect(parseProxyArgs(args)).toEqual({
      listen: '9000',
      target: '127.0.0.1:8080',
      cutAfter: [1000, 5000],
      latency: 50,
      jitter: 20,
      bandwidth: 65_536,
      blackhole: 'down',
      blackholeAfter: 10_000,
      seed: 42,
      maxBuffered: 262_144,
      up: { cutEveryBytes: 1_048_576 },
      down: { latency: 200 },
    });
    expect([flagOf('cutEveryBytes'), flagOf('up.latency'), flagOf('down.cutEveryBytes')]).toEqual(['--cut-every-bytes', '--latency-up', '--cut-every-bytes-down']);
  });

  const target = ['--listen', '0', '--target', '127.0.0.1:1'];
  const mistakes: Array<[string[], string]> = [
    [['--target', '127.0.0.1:1'], '--listen: is required'],
    [['--listen', '0'], '--target: is required'],
    [[...target, '--cut-after', '5x'], '--cut-after: expected a time like 500ms, 2s or 1m, got "5x"'],
    [[...target, '--cut-after', '5s-1s'], "--cut-after: the range's minimum 5000 is above its maximum 1000"],
    [[...target, '--latency-up', '-3'], '--latency-up: expected a time like 500ms, 2s or 1m, got "-3"'],
    [[...target, '--bandwidth', '0'], `--bandwidth: expected an integer from 1 to ${Number.MAX_SAFE_INTEGER}, got 0`],
    [[...target, '--blackhole', 'sideways'], '--blackhole: expected up, down or both, got sideways'],
    [[...target, '--blackhole-after', '1s'], '--blackhole-after: needs --blackhole'],
    [[...target, '--seed', '1.5'], '--seed: expected an integer from 0 to 4294967295, got "1.5"'],
    [[...target, '--seed', '4294967296'], '--seed: expected an integer from 0 to 4294967295, got 4294967296'],
    [['--listen', '70000', '--target', 'h:1'], '--listen: expected a port from 0 to 65535, got 70000'],
    [['--listen', '0', '--target', 'nohost'], '--target: expected host:port, got "nohost"'],
    [[...target, '--latency'], '--latency: needs a value'],
    [[...target, '--latency', '--jitter'], '--latency: needs a value'],
    [[...target, '--latency', '1', '--latency', '2'], '--latency: given twice'],
    [[...target, '--verbose', '1'], '--verbose: unknown option'],
  ];
  for (const [args, message] of mistakes) {
    it(`"${args.join(' ')}" exits 2: ${message}`, async () => {
      const out = io();
      expect(await main(['proxy', ...args], out)).toBe(2);
      expect(out.stderr).toBe(`tandem proxy: ${message}\nRun "tandem proxy --help" for the options.\n`);
      expect(out.stdout).toBe('');
    });
  }

  it('--help prints the proxy usage (exit 0); the top-level usage lists the command', async () => {
    const out = io();
    expect(await main(['proxy', '--listen', '0', '--help'], out)).toBe(0);
    expect(out.stdout).toBe(PROXY_USAGE);
    const top = io();
    expect(await main(['--help'], top)).toBe(0);
    expect(top.stdout).toMatch(/^ {2}proxy +fault-injection TCP proxy/m);
  });

  it('a port it cannot listen on exits 1', async () => {
    const { port } = await listenEcho();
    const out = io();
    expect(await main(['proxy', '--listen', `127.0.0.1:${port}`, '--target', '127.0.0.1:1'], out)).toBe(1);
    expect(out.stderr).toMatch(/^tandem proxy: cannot listen: .*EADDRINUSE/);
    expect(out.stdout).toBe('');
  });

  it('in process: prints "listening <port>", logs the seed and each cut on stderr', async () => {
    const { port } = await listenEcho();
    const out = io();
    const proxy = await main(['proxy', '--listen', '127.0.0.1:0', '--target', `127.0.0.1:${port}`, '--seed', '9'], out);
    expect(proxy).toBeInstanceOf(FaultProxy);
    started.add(proxy as FaultProxy);
    const listening = (proxy as FaultProxy).port;
    expect(out.stdout).toBe(`listening ${listening}\n`);
    expect(out.stderr).toBe(`tandem proxy: 127.0.0.1:${listening} -> 127.0.0.1:${port}, seed 9\n`);
    const ws = await wsOpen(listening);
    const closed = wsClosed(ws);
    (proxy as FaultProxy).cutAll();
    expect((await closed).code).toBe(1006);
    expect(out.stderr).toMatch(/\ntandem proxy: cut #1 \(manual\) after \d+ms\n$/);
  });
});

describe('tandem proxy (built CLI, child process)', () => {
  function run(args: string[]): { child: ChildProcess; stdout: () => string; stderr: () => string; exit: Promise<number | null> } {
    if (!existsSync(`${root}dist/cli.js`)) throw new Error('dist/cli.js is missing: run "npm run build" first');
    const child = spawn(process.execPath, ['bin/tandem.mjs', 'proxy', ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    children.add(child);
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
    const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    return { child, stdout: () => stdout, stderr: () => stderr, exit };
  }

  it('prints "listening <port>" and proxies a WebSocket echo; SIGTERM exits 0', async () => {
    const { port } = await listenEcho();
    const cli = run(['--listen', '0', '--target', `127.0.0.1:${port}`]);
    const listening = await new Promise<number>((resolve, reject) => {
      cli.child.stdout!.on('data', () => {
        const match = /^listening (\d+)\n$/.exec(cli.stdout());
        if (match) resolve(Number(match[1]));
      });
      void cli.exit.then((code) => reject(new Error(`exited with ${code}: ${cli.stderr()}`)));
    });
    expect(listening).toBeGreaterThan(0);
    const ws = await wsOpen(listening);
    ws.send('through the proxy');
    expect((await wsMessage(ws)).data.toString()).toBe('through the proxy');
    cli.child.kill('SIGTERM');
    expect(await cli.exit).toBe(0);
  });

  it('a bad option exits 2 and names the option on stderr', async () => {
    const cli = run(['--listen', '0', '--target', '127.0.0.1:1', '--cut-after', 'soon']);
    expect(await cli.exit).toBe(2);
    expect(cli.stdout()).toBe('');
    expect(cli.stderr()).toContain('--cut-after: expected a time like 500ms, 2s or 1m, got "soon"');
  });
});

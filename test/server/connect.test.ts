/**
 * `tandem connect`: in process (main() with a stream as stdin) against the echo server, Tandem's
 * low-level and typed servers and a TLS server; and as a child process (bin/tandem.mjs, built)
 * driven through stdin/stdout against the echo CLI and the typed demo server.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { createServer as createTcpServer } from 'node:net';
import { PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { createServer } from '../../server/index.js';
import type { TandemServer } from '../../server/index.js';
import { WebSocketServer } from '../../server/socket/websocket-server.js';
import { main } from '../../server/tools/cli.js';
import { parseConnectArgs } from '../../server/tools/connect-args.js';
import { DemoProcess, freePort } from '../e2e/demo-process.js';
import { listen, listenEcho, stopAll, track } from '../helpers/servers.js';
import { TEST_CERT, TEST_KEY } from '../helpers/tls-fixture.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const cleanups: Array<() => Promise<unknown> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
  await stopAll();
});

/** Runs `tandem connect …` in process with `lines` on stdin (ended), and resolves with what it printed. */
async function connect(argv: string[], lines: string[]): Promise<{ code: number; out: string; err: string }> {
  const input = new PassThrough();
  const printed = { out: '', err: '' };
  const result = main(['connect', ...argv], { out: (t) => void (printed.out += t), err: (t) => void (printed.err += t), input, interactive: false });
  input.end(lines.map((l) => `${l}\n`).join(''));
  const code = (await result) as number;
  return { code, ...printed };
}

describe('tandem connect (in process)', () => {
  it('parses its arguments', () => {
    expect(parseConnectArgs(['ws://x', '-H', 'Authorization: Bearer a:b', '-s', 'chat', '-s', 'v2', '--deflate', '-k', '--wait', '50'])).toEqual({
      url: 'ws://x',
      headers: { Authorization: 'Bearer a:b' },
      protocols: ['chat', 'v2'],
      deflate: true,
      insecure: true,
      tandem: false,
      auth: undefined,
      wait: 50,
    });
    expect(parseConnectArgs(['--tandem', '--auth', '{"name":"ada"}', 'ws://x'])).toMatchObject({ tandem: true, auth: { name: 'ada' } });
    for (const [argv, message] of [
      [[], 'connect needs a URL'],
      [['ws://x', '--header', 'novalue'], '--header must be "Name: value", got "novalue"'],
      [['ws://x', '--auth', '{}'], '--auth needs --tandem'],
      [['ws://x', '--tandem', '--auth', '{'], '--auth is not valid JSON: {'],
      [['ws://x', '--wait', 'soon'], 'invalid --wait soon'],
      [['ws://x', 'ws://y'], 'unexpected argument ws://y'],
      [['ws://x', '--verbose'], 'unknown option --verbose'],
    ] as const) {
      expect(() => parseConnectArgs(argv), message).toThrow(message);
    }
  });

  it('echo server: text, binary as hex, ping → pong, a literal "/", then closes with 1000 when the input ends', async () => {
    const { port } = await listenEcho();
    const { code, out, err } = await connect([`ws://127.0.0.1:${port}/`], ['hello', 'héllo wörld', '/binary 01 02 ff', '/ping hi', '//not a command', '/nope']);
    expect(out).toBe(['open', '< hello', '< héllo wörld', '< binary 3 bytes 0102ff', '< pong 6869', '< /not a command', 'closed 1000', ''].join('\n'));
    expect(err).toBe('tandem: unknown command /nope (/ping, /pong, /binary, /close; // sends a literal /)\n');
    expect(code).toBe(0);
  });

  it('--header, --subprotocol and --deflate reach the server; /close sends a code and reason', async () => {
    const { wss, port } = await listen({ perMessageDeflate: true, handleProtocols: (offered) => offered[1] ?? false });
    const seen: Array<[string, number, string]> = [];
    wss.on('connection', (ws, req) => ws.on('close', (c, r) => seen.push([String(req.headers['x-token']), c, r.toString()])));
    const { code, out } = await connect([`ws://127.0.0.1:${port}/`, '--header', 'X-Token: abc', '-s', 'a', '-s', 'b', '--deflate'], ['/close 4001 see you']);
    expect(out).toBe('open protocol=b extensions=permessage-deflate\nclosed 4001\n');
    expect(code).toBe(0);
    expect(seen).toEqual([['abc', 4001, 'see you']]);
  });

  it('a refused connection: the cause on stderr, closed 1006, exit 1', async () => {
    const probe = createTcpServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const { port } = probe.address() as AddressInfo;
    await new Promise((resolve) => probe.close(resolve));
    const { code, out, err } = await connect([`ws://127.0.0.1:${port}/`], ['never sent']);
    expect(err).toMatch(/^error ERR_CONNECT_FAILED: connect ECONNREFUSED 127\.0\.0\.1:\d+\n$/);
    expect(out).toBe('closed 1006\n');
    expect(code).toBe(1);
  });

  it('--insecure accepts a self-signed wss: server; without it the TLS error is printed', async () => {
    const https = createHttpsServer({ cert: TEST_CERT, key: TEST_KEY });
    const wss = track(new WebSocketServer({ server: https }));
    wss.on('connection', (ws) => ws.on('message', (d, isBinary) => ws.send(d, { binary: isBinary })));
    await new Promise<void>((resolve) => https.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise((resolve) => https.close(resolve)));
    const url = `wss://127.0.0.1:${(https.address() as AddressInfo).port}/`;
    const refused = await connect([url], []);
    expect(refused.err).toMatch(/^error ERR_CONNECT_FAILED: self[- ]signed certificate/);
    expect(refused.code).toBe(1);
    const ok = await connect([url, '--insecure'], ['over tls']);
    expect(ok.out).toBe('open\n< over tls\nclosed 1000\n');
  });

  it('--tandem: hello with --auth, events printed, requests answered (and refused), then a clean close', async () => {
    type Demo = { client: { events: { say: { text: string } }; requests: { add: { request: [number, number]; response: number } } }; server: { events: { said: { text: string; by: unknown } } } };
    const server: TandemServer<Demo> = createServer<Demo>({ port: 0, host: '127.0.0.1', authenticateHello: (auth) => auth as never });
    cleanups.push(() => server.close({ timeout: 100 }));
    await new Promise<void>((resolve) => server.once('listening', () => resolve()));
    server.handle('add', ([a, b]) => a + b);
    server.on('connection', (peer) => peer.on('say', ({ text }) => peer.emit('said', { text: text.toUpperCase(), by: peer.identity })));
    const url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    const { code, out, err } = await connect(
      [url, '--tandem', '--auth', '{"name":"ada"}', '--wait', '100'],
      ['request add [40, 2]', 'emit say {"text":"hi"}', 'request missing', 'request add {bad json', 'dance'],
    );
    expect(err).toBe(
      'tandem: request: the payload is not valid JSON: {bad json\n' + 'tandem: unknown command dance (emit <name> [json], request <name> [json], close [code [reason]])\n',
    );
    const lines = out.trimEnd().split('\n');
    expect(lines[0]).toBe('open');
    expect(lines.at(-1)).toBe('closed 1000');
    expect(lines.slice(1, -1).sort()).toEqual(
      ['< response add 42', '< event said {"text":"HI","by":{"name":"ada"}}', '< error missing unknown_method: no handler for "missing"'].sort(),
    );
    expect(code).toBe(0);
  });
});

describe('tandem connect (child process; needs npm run build)', () => {
  function run(args: string[], input: string): Promise<{ code: number | null; out: string; err: string }> {
    if (!existsSync(`${root}dist/cli.js`)) throw new Error('dist/cli.js is missing: run "npm run build" first');
    const child = spawn(process.execPath, ['bin/tandem.mjs', 'connect', ...args], { cwd: root, stdio: ['pipe', 'pipe', 'pipe'] });
    const printed = { out: '', err: '' };
    child.stdout.on('data', (c: Buffer) => (printed.out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (printed.err += c.toString()));
    child.stdin.end(input);
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    return new Promise((resolve) => child.once('close', (code) => (clearTimeout(timer), resolve({ code, ...printed }))));
  }

  it('pipes lines to the echo server and prints the answers', { timeout: 30_000 }, async () => {
    const { port } = await listenEcho();
    const { code, out, err } = await run([`ws://127.0.0.1:${port}/`], 'one\ntwo\n/binary cafe\n');
    expect([out, err, code]).toEqual(['open\n< one\n< two\n< binary 2 bytes cafe\nclosed 1000\n', '', 0]);
  });

  it('--tandem against the typed demo server: joins, gets presence and history, asks the clock, says hi', { timeout: 40_000 }, async () => {
    const demo = new DemoProcess(await freePort());
    cleanups.push(() => demo.kill());
    await demo.start();
    const { code, out, err } = await run(
      [`ws://127.0.0.1:${demo.port}/chat`, '--tandem', '--auth', '{"name":"ada","room":"cli"}', '--wait', '300'],
      'request clock\nemit say {"text":"hi from the cli"}\nrequest join {"room":"no spaces"}\n',
    );
    expect(err).toBe('');
    expect(code).toBe(0);
    const lines = out.trimEnd().split('\n');
    expect(lines[0]).toBe('open');
    expect(lines).toContain('< event presence {"room":"cli","users":["ada"]}');
    expect(lines).toContain('< event history {"room":"cli","messages":[]}');
    expect(lines.some((l) => /^< response clock \{"now":\d+\}$/.test(l))).toBe(true);
    expect(lines.some((l) => /^< event message \{"id":"[^"]+","from":"ada","text":"hi from the cli","at":\d+\}$/.test(l))).toBe(true);
    expect(lines.some((l) => l.startsWith('< error join invalid_room: '))).toBe(true);
    expect(lines.at(-1)).toBe('closed 1000');
  });
});

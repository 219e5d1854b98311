import { afterEach, describe, expect, it } from 'vitest';
import { main, parseEchoArgs, USAGE } from '../../server/tools/cli.js';
import type { CliIo } from '../../server/tools/cli.js';
import { WebSocketServer } from '../../server/socket/websocket-server.js';
import { RawClient } from '../helpers/raw-client.js';
import { stopAll, track } from '../helpers/servers.js';

afterEach(stopAll);

function io(): CliIo & { stdout: string; stderr: string } {
  const out = { stdout: '', stderr: '' };
  return Object.assign(out, { out: (t: string) => void (out.stdout += t), err: (t: string) => void (out.stderr += t) });
}

describe('tandem CLI', () => {
  it('parses echo arguments', () => {
    expect(parseEchoArgs(['--port', '0'])).toEqual({ port: 0, host: undefined, deflate: false });
    expect(parseEchoArgs(['--host', '127.0.0.1', '--port', '9001', '--deflate'])).toEqual({ port: 9001, host: '127.0.0.1', deflate: true });
  });

  const mistakes: Array<[string[], string]> = [
    [['echo'], '--port is required'],
    [['echo', '--port'], '--port needs a value'],
    [['echo', '--port', '--host'], '--port needs a value'],
    [['echo', '--port', '70000'], 'invalid port 70000'],
    [['echo', '--port', '-1'], 'invalid port -1'],
    [['echo', '--port', '1', '--verbose'], 'unknown option --verbose'],
    [['serve'], 'unknown command serve'],
  ];
  for (const [argv, message] of mistakes) {
    it(`"${argv.join(' ')}" is a usage error: ${message}`, async () => {
      const out = io();
      expect(await main(argv, out)).toBe(2);
      expect(out.stderr).toBe(`tandem: ${message}\n\n${USAGE}`);
      expect(out.stdout).toBe('');
    });
  }

  it('prints usage for --help (exit 0) and without arguments (exit 2)', async () => {
    const help = io();
    expect(await main(['--help'], help)).toBe(0);
    expect(help.stdout).toBe(USAGE);
    const none = io();
    expect(await main([], none)).toBe(2);
    expect(none.stderr).toBe(USAGE);
  });

  it('--deflate starts an echo server that offers permessage-deflate', async () => {
    const out = io();
    const wss = await main(['echo', '--port', '0', '--host', '127.0.0.1', '--deflate'], out);
    expect(wss).toBeInstanceOf(WebSocketServer);
    track(wss as WebSocketServer);
    expect(out.stdout).toMatch(/^listening \d+\n$/);
    expect((wss as WebSocketServer).deflateLimiter).toBeDefined();
  });

  it('echo --port 0 prints "listening <real port>" and echoes', async () => {
    const out = io();
    const wss = await main(['echo', '--port', '0', '--host', '127.0.0.1'], out);
    expect(wss).toBeInstanceOf(WebSocketServer);
    track(wss as WebSocketServer);
    const port = Number(/^listening (\d+)\n$/.exec(out.stdout)?.[1]);
    expect(port).toBeGreaterThan(0);
    const client = await RawClient.connect(port);
    client.sendFrame(2, Uint8Array.of(7, 8));
    const frame = await client.next();
    expect([frame?.opcode, frame?.payload.toString('hex')]).toEqual([2, '0708']);
    client.destroy();
  });
});

import { execFile } from 'node:child_process';
import { createServer as createNetServer, type Server as NetServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocketServer } from '../../server/socket/websocket-server.js';
import { createServer } from '../../server/typed/server.js';

// A port already in use must never fail silently: with an 'error' listener the error arrives
// there; without one it is an uncaught exception (as net.Server and ws do); the typed server's
// state and ready() say so.
const root = fileURLToPath(new URL('../..', import.meta.url));
let blocker: NetServer;
let port: number;

beforeAll(async () => {
  blocker = createNetServer();
  await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
  port = (blocker.address() as { port: number }).port;
});

afterAll(async () => {
  await new Promise((resolve) => blocker.close(resolve));
});

/** Runs an ESM snippet against the built package in a fresh Node (its own uncaught-exception handling). */
async function runBuilt(code: string): Promise<{ exitCode: number; stderr: string }> {
  try {
    const { stderr } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', code], { cwd: root, timeout: 15_000 });
    return { exitCode: 0, stderr };
  } catch (err) {
    const e = err as { code?: number; stderr?: string };
    return { exitCode: e.code ?? -1, stderr: e.stderr ?? '' };
  }
}

describe('listening on a port in use', () => {
  it('WebSocketServer emits the EADDRINUSE error to its listener', async () => {
    const wss = new WebSocketServer({ port, host: '127.0.0.1' });
    const error = await new Promise<NodeJS.ErrnoException>((resolve) => wss.on('error', resolve));
    expect(error.code).toBe('EADDRINUSE');
    expect(error.syscall).toBe('listen');
    await new Promise<void>((resolve) => wss.close(resolve));
  });

  it('createServer: ready() rejects, the error reaches the listener, state is closed', async () => {
    const server = createServer({ port, host: '127.0.0.1' });
    const heard: unknown[] = [];
    server.on('error', (err) => heard.push(err));
    await expect(server.ready()).rejects.toMatchObject({ code: 'EADDRINUSE', syscall: 'listen' });
    expect(heard).toHaveLength(1);
    expect(server.state).toBe('closed');
    await server.close(); // still resolves, nothing left to release
    expect(server.state).toBe('closed');
  });

  it('createServer: ready() resolves once listening, and at once when attached', async () => {
    const server = createServer({ port: 0, host: '127.0.0.1' });
    await server.ready();
    expect(server.state).toBe('running');
    expect(server.address()).toMatchObject({ port: expect.any(Number) });
    await server.close();
    const detached = createServer({ noServer: true });
    await expect(detached.ready()).resolves.toBeUndefined();
    await detached.close();
  });

  it.each([
    ['WebSocketServer', `new WebSocketServer({ port: PORT, host: '127.0.0.1' })`],
    ['createServer', `createServer({ port: PORT, host: '127.0.0.1' })`],
  ])('%s with no error listener: an uncaught exception, the process exits 1', async (_name, make) => {
    const result = await runBuilt(`import { WebSocketServer, createServer } from 'tandem/server'; ${make.replace('PORT', String(port))};`);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toMatch(/EADDRINUSE/);
  });

  it('createServer with a ready() caller is not an uncaught exception: the rejection is the report', async () => {
    const result = await runBuilt(
      `import { createServer } from 'tandem/server'; const s = createServer({ port: ${port}, host: '127.0.0.1' }); ` +
        `s.ready().catch((err) => { console.error('caught', err.code, s.state); });`,
    );
    expect(result.exitCode).toBe(0);
    expect(result.stderr).toBe('caught EADDRINUSE closed\n');
  });
});

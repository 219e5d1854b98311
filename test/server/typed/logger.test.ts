/** The server's `logger`: an error no 'error' listener heard is written once; a heard one is not. */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { closeAll, connectClient, startServer, until } from './harness.js';
import type { Logger } from '../../../src/logger.js';

interface Api {
  client: { events: { say: string }; requests: { crash: { request: undefined; response: string } } };
  server: { events: Record<never, never> };
}

afterEach(() => {
  vi.restoreAllMocks();
  return closeAll();
});

function recorder(): Logger & { lines: Array<[string, unknown]> } {
  const lines: Array<[string, unknown]> = [];
  return { lines, error: (message, error) => void lines.push([message, error]) };
}

async function crashOnce(options: { logger?: Logger | false }, listen?: 'server' | 'peer'): Promise<string> {
  const { server, url } = await startServer<Api>(options);
  server.handle('crash', () => {
    throw new Error('handler bug');
  });
  if (listen === 'server') server.on('error', () => {});
  if (listen === 'peer') server.on('connection', (peer) => peer.lifecycle.on('error', () => {}));
  const client = await connectClient<Api>(url);
  await expect(client.request('crash')).rejects.toMatchObject({ code: 'internal' });
  return [...server.peers.keys()][0]!;
}

describe('createServer({ logger })', () => {
  it('a throwing handler with no error listener is logged once, naming the method and the peer', async () => {
    const logger = recorder();
    const peerId = await crashOnce({ logger });
    await until(() => logger.lines.length > 0);
    expect(logger.lines).toHaveLength(1);
    expect(logger.lines[0]![0]).toBe(`tandem server: request handler "crash" (peer ${peerId})`);
    expect((logger.lines[0]![1] as Error).message).toBe('handler bug');
  });

  it('is not used when the server or the peer has an error listener', async () => {
    const logger = recorder();
    await crashOnce({ logger }, 'server');
    await crashOnce({ logger }, 'peer');
    expect(logger.lines).toEqual([]);
  });

  it('a throwing event listener with no error listener is logged once, naming the event', async () => {
    const logger = recorder();
    const { server, url } = await startServer<Api>({ logger });
    server.on('connection', (peer) =>
      peer.on('say', () => {
        throw new Error('listener bug');
      }),
    );
    const client = await connectClient<Api>(url);
    client.emit('say', 'x');
    await until(() => logger.lines.length > 0);
    const [peerId] = [...server.peers.keys()];
    expect(logger.lines.map(([message]) => message)).toEqual([`tandem server: listener of "say" (peer ${peerId})`]);
  });

  it('defaults to one console.error line; logger: false writes nothing', async () => {
    const spy = vi.spyOn(console, 'error').mockImplementation(() => {});
    await crashOnce({});
    await until(() => spy.mock.calls.length > 0);
    expect(spy).toHaveBeenCalledTimes(1);
    expect(spy.mock.calls[0]![0]).toMatch(/^tandem server: request handler "crash" \(peer [0-9a-f-]{36}\)$/);
    spy.mockClear();
    await crashOnce({ logger: false });
    expect(spy).not.toHaveBeenCalled();
  });
});

/** The client's `logger`: an error no lifecycle 'error' listener heard is written once; a heard one is not. */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createClient } from '../../client/index.js';
import type { ClientOptions, TandemClient } from '../../client/index.js';
import type { Logger } from '../../src/logger.js';
import { FakeWebSocket } from './fake-websocket.js';

type Contract = {
  client: { events: Record<never, never> };
  server: { events: { news: string }; requests: { crash: { request: undefined; response: string } } };
};

const clients: Array<TandemClient<Contract>> = [];
const settle = () => vi.advanceTimersByTimeAsync(0);

beforeEach(() => {
  vi.useFakeTimers({ now: 0 });
  FakeWebSocket.reset();
});
afterEach(() => {
  for (const c of clients.splice(0)) c.close();
  vi.useRealTimers();
  vi.restoreAllMocks();
});

function recorder(): Logger & { lines: Array<[string, unknown]> } {
  const lines: Array<[string, unknown]> = [];
  return { lines, error: (message, error) => void lines.push([message, error]) };
}

async function openClient(options: ClientOptions<Contract>): Promise<{ client: TandemClient<Contract>; ws: FakeWebSocket }> {
  const client = createClient<Contract>('ws://test/', { WebSocket: FakeWebSocket, network: null, heartbeat: false, ...options });
  clients.push(client);
  await settle();
  const ws = FakeWebSocket.last;
  ws.accept();
  return { client, ws };
}

describe('createClient({ logger })', () => {
  it('a throwing request handler with no error listener is logged once, naming the method', async () => {
    const logger = recorder();
    const { client, ws } = await openClient({ logger });
    client.handle('crash', () => {
      throw new Error('handler bug');
    });
    ws.message('{"v":1,"type":"request","id":1,"name":"crash"}');
    await settle();
    expect(logger.lines.map(([message, error]) => [message, (error as Error).message])).toEqual([['tandem client: request handler "crash"', 'handler bug']]);
    expect(ws.envelopes.at(-1)).toEqual({ v: 1, type: 'error', id: 1, code: 'internal', message: 'internal error' });
  });

  it('a throwing event listener is logged once, naming the event; not with an error listener', async () => {
    const logger = recorder();
    const { client, ws } = await openClient({ logger });
    client.on('news', () => {
      throw new Error('listener bug');
    });
    ws.message('{"v":1,"type":"event","name":"news","payload":"a"}');
    expect(logger.lines.map(([message]) => message)).toEqual(['tandem client: listener of "news"']);
    const heard: unknown[] = [];
    client.lifecycle.on('error', (e) => heard.push(e));
    ws.message('{"v":1,"type":"event","name":"news","payload":"b"}');
    expect(heard).toHaveLength(1);
    expect(logger.lines).toHaveLength(1);
  });

  it('defaults to one console.error line; logger: false writes nothing', async () => {
    const spy = vi.spyOn(console, 'error').mockImplementation(() => {});
    const { client, ws } = await openClient({});
    client.on('news', () => {
      throw new Error('listener bug');
    });
    ws.message('{"v":1,"type":"event","name":"news","payload":"a"}');
    expect(spy).toHaveBeenCalledTimes(1);
    expect(spy.mock.calls[0]![0]).toBe('tandem client: listener of "news"');
    spy.mockClear();
    const quiet = await openClient({ logger: false });
    quiet.client.on('news', () => {
      throw new Error('listener bug');
    });
    quiet.ws.message('{"v":1,"type":"event","name":"news","payload":"a"}');
    expect(spy).not.toHaveBeenCalled();
  });
});

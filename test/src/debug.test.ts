import { afterEach, describe, expect, it, vi } from 'vitest';
import { createTrace, debugEnabled, tracedCodec } from '../../src/debug.js';
import { jsonCodec } from '../../src/codec.js';
import { closeAll, connectClient, startServer } from '../server/typed/harness.js';

describe('debugEnabled: the DEBUG syntax of the debug package', () => {
  it.each([
    [undefined, 'tandem:server', false],
    ['', 'tandem:server', false],
    ['tandem:*', 'tandem:server', true],
    ['tandem:*', 'tandem:server:wire', true],
    ['tandem:*,-tandem:*:wire', 'tandem:server:wire', false],
    ['tandem:*,-tandem:*:wire', 'tandem:client', true],
    ['express:* tandem:client', 'tandem:client', true],
    ['tandem:client', 'tandem:client:wire', false],
    ['*', 'tandem:socket', true],
    ['tandem.server', 'tandemXserver', false], // dots are literal
  ])('%j enables %s: %s', (spec, namespace, on) => {
    expect(debugEnabled(spec, namespace)).toBe(on);
  });

  it('a disabled trace writes nothing; the wire codec is the codec itself', () => {
    const lines: string[] = [];
    const off = createTrace('tandem:x', undefined, (l) => lines.push(l));
    off('never');
    expect([off.enabled, lines]).toEqual([false, []]);
    expect(tracedCodec(jsonCodec, off)).toBe(jsonCodec);
  });

  it('the wire trace names each envelope and its direction', () => {
    const lines: string[] = [];
    const codec = tracedCodec(jsonCodec, createTrace('tandem:wire', 'tandem:*', (l) => lines.push(l)));
    const data = codec.encode({ v: 1, type: 'request', id: 3, name: 'join', payload: { room: 'a' } });
    codec.decode(data);
    expect(() => codec.decode('nope')).toThrow();
    expect(lines).toEqual([
      `tandem:wire → request "join" #3 (${String((data as string).length)} chars)`,
      'tandem:wire ← request "join" #3',
      'tandem:wire ← invalid: message is not valid JSON',
    ]);
  });
});

describe('DEBUG=tandem:* traces connection lifecycles and protocol events', () => {
  const saved = process.env.DEBUG;
  afterEach(async () => {
    await closeAll();
    if (saved === undefined) delete process.env.DEBUG;
    else process.env.DEBUG = saved;
    vi.restoreAllMocks();
  });

  async function run(): Promise<string[]> {
    const lines: string[] = [];
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => (lines.push(String(chunk)), true));
    type Api = { client: { events: { hi: string } } };
    const { server, url } = await startServer<Api>();
    const heard = new Promise<void>((resolve) => server.on('connection', (peer) => peer.on('hi', () => resolve())));
    const client = await connectClient<Api>(url);
    client.emit('hi', 'there');
    await heard;
    client.close();
    await new Promise<void>((resolve) => server.once('disconnect', () => resolve()));
    vi.restoreAllMocks();
    return lines;
  }

  it('writes timestamped lines per namespace to stderr when switched on', async () => {
    process.env.DEBUG = 'tandem:*';
    const lines = await run();
    const stamp = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z /;
    expect(lines.every((l) => stamp.test(l) && l.endsWith('\n'))).toBe(true);
    const text = lines.map((l) => l.replace(stamp, '')).join('');
    for (const expected of [
      /^tandem:client attempt 0 → ws:\/\/127\.0\.0\.1:\d+\/$/m,
      /^tandem:socket accepted \/ from 127\.0\.0\.1$/m,
      /^tandem:client:wire → hello \(\d+ chars\)$/m,
      /^tandem:server:wire ← hello$/m,
      /^tandem:server:wire → welcome \(\d+ chars\)$/m,
      /^tandem:server connection peer [0-9a-f-]{36}$/m,
      /^tandem:client state "open" "connecting"$/m,
      /^tandem:client:wire → event "hi" \(\d+ chars\)$/m,
      /^tandem:server:wire ← event "hi"$/m,
      /^tandem:client close \{"code":1000,"reason":"","willReconnect":false,"resuming":false\}$/m, // CloseInfo.resuming: session resume (docs/protocol.md §10)
      /^tandem:server disconnect peer [0-9a-f-]{36} "closed with 1000" 1000$/m,
    ]) {
      expect(text).toMatch(expected);
    }
  });

  it('is off by default: not a byte', async () => {
    delete process.env.DEBUG;
    expect(await run()).toEqual([]);
  });
});

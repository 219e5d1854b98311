/**
 * The built UMD file works from a plain <script> tag: loaded into jsdom (runScripts), it exposes
 * `window.Tandem.createClient`, which connects to a real server on loopback.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import type * as ClientModule from '../../client/index.js';
import { startEnvelopeServer } from '../helpers/ws-envelope-server.js';
import type { EnvelopeServer } from '../helpers/ws-envelope-server.js';

// jsdom ships no type declarations (and @types/jsdom is not installed): type the little we use.
interface JSDOM {
  window: { close(): void } & Record<string, unknown>;
}
const { JSDOM } = createRequire(import.meta.url)('jsdom') as { JSDOM: new (html: string, options: object) => JSDOM };

const file = fileURLToPath(new URL('../../dist/tandem.umd.min.js', import.meta.url));
let server: EnvelopeServer | undefined;
let dom: JSDOM | undefined;
afterEach(async () => {
  dom?.window.close();
  await server?.close();
  server = undefined;
  dom = undefined;
});

describe('UMD bundle', () => {
  it('window.Tandem.createClient talks to a real server from a <script> tag', async () => {
    if (!existsSync(file)) throw new Error('dist/tandem.umd.min.js is missing: run `npm run build` first');
    server = await startEnvelopeServer({ handlers: { add: (p) => (p as number[]).reduce((a, b) => a + b, 0) } });
    dom = new JSDOM(`<!doctype html><script>${readFileSync(file, 'utf8')}</script>`, { runScripts: 'dangerously', url: 'http://127.0.0.1/' });
    const Tandem = (dom.window as unknown as { Tandem: typeof ClientModule }).Tandem;
    expect(typeof Tandem.createClient).toBe('function');
    expect(Tandem.CloseCodes.HeartbeatTimeout).toBe(4000);
    const client = Tandem.createClient(server.url, { auth: 'from-umd' });
    const states: string[] = [];
    client.lifecycle.on('state', (s: string) => states.push(s));
    expect(await client.request('add' as never, [1, 2, 3] as never)).toBe(6);
    client.emit('hello-from-umd' as never, { ok: true } as never);
    const peer = await server.peer(0);
    expect(peer.hello).toEqual({ v: 1, type: 'hello', auth: 'from-umd', resume: true });
    await new Promise<void>((resolve) => {
      const check = () => (server!.events.length > 0 ? resolve() : setTimeout(check, 5));
      check();
    });
    expect(server.events).toEqual([{ name: 'hello-from-umd', payload: { ok: true } }]);
    client.close();
    expect(states).toEqual(['open', 'closed']);
  });

  it('exposes exactly the script-tag API, and minification keeps error names and codes', () => {
    if (!existsSync(file)) throw new Error('dist/tandem.umd.min.js is missing: run `npm run build` first');
    dom = new JSDOM(`<!doctype html><script>${readFileSync(file, 'utf8')}</script>`, { runScripts: 'dangerously', url: 'http://127.0.0.1/' });
    const Tandem = (dom.window as unknown as { Tandem: typeof ClientModule }).Tandem;
    expect(Object.keys(Tandem).sort()).toEqual([
      'CloseCodes', 'DisconnectedError', 'PayloadValidationError', 'ProtocolError', 'QueueFullError', 'RequestError', 'StateError',
      'TandemError', 'closeCodeOf', 'createClient', 'isFatalCloseCode', 'isProtocolError', 'isRequestError',
    ]);
    const protocol = new Tandem.ProtocolError('ERR_INVALID_ENVELOPE', 'bad', 1008);
    expect([protocol.name, protocol.code, Tandem.closeCodeOf(protocol), Tandem.isProtocolError(protocol)]).toEqual(['ProtocolError', 'ERR_INVALID_ENVELOPE', 1008, true]);
    const errors = [new Tandem.RequestError('timeout', 'late'), new Tandem.DisconnectedError(), new Tandem.QueueFullError(3), new Tandem.StateError('closed')];
    expect(errors.map((e) => [e.name, e.code, e instanceof Tandem.TandemError])).toEqual([
      ['RequestError', 'timeout', true],
      ['DisconnectedError', 'ERR_DISCONNECTED', true],
      ['QueueFullError', 'ERR_QUEUE_FULL', true],
      ['StateError', 'ERR_INVALID_STATE', true],
    ]);
    expect([Tandem.isFatalCloseCode(4401), Tandem.isFatalCloseCode(1012), Tandem.CloseCodes.ServiceRestart]).toEqual([true, false, 1012]);
  });
});

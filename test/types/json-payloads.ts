/**
 * Compile-time half of "payloads JSON cannot carry": a contract naming a BigInt, a function, a
 * Map/Set, a RegExp or a Promise makes the `emit`/`request` call (and a handler's answer) a
 * compile error. Compiled by test/types/typecheck.test.ts (every @ts-expect-error must be an
 * error); never run. Cycles, NaN and `undefined` fields are invisible to types: the codec refuses
 * them at run time (test/src/protocol/json-payloads.test.ts).
 */
import { createClient } from '../../client/index.js';
import { createServer } from '../../server/index.js';

type Bad = {
  client: {
    events: {
      big: { at: bigint };
      fn: { onDone: () => void };
      map: { users: Map<string, number> };
      set: Set<string>;
      nested: { list: Array<{ when: bigint }> };
      fine: { text: string; at: Date; bytes: Uint8Array; list: number[]; maybe?: string; nothing: null };
    };
    requests: { ask: { request: { re: RegExp }; response: { n: bigint } } };
  };
  server: { events: { push: { p: Promise<number> }; ok: { n: number } } };
};

export function clientSide(): void {
  const client = createClient<Bad>('ws://test/');
  // @ts-expect-error a bigint field
  client.emit('big', { at: 1n });
  // @ts-expect-error a function field
  client.emit('fn', { onDone: () => undefined });
  // @ts-expect-error a Map
  client.emit('map', { users: new Map<string, number>() });
  // @ts-expect-error a Set payload
  client.emit('set', new Set<string>());
  // @ts-expect-error a bigint deep inside
  client.emit('nested', { list: [{ when: 2n }] });
  // @ts-expect-error a RegExp in a request payload
  void client.request('ask', { re: /x/ });
  // What JSON carries compiles: strings, Dates (toJSON), binary, arrays, optional fields, null.
  client.emit('fine', { text: 'hi', at: new Date(), bytes: Uint8Array.of(1), list: [1, 2], nothing: null });
}

export function serverSide(): void {
  const server = createServer<Bad>({ noServer: true });
  // @ts-expect-error answering a bigint
  server.handle('ask', () => ({ n: 1n }));
  server.on('connection', (peer) => {
    // @ts-expect-error a Promise in a payload
    peer.emit('push', { p: Promise.resolve(1) });
    // @ts-expect-error broadcasts too
    server.to('room').emit('push', { p: Promise.resolve(1) });
    peer.emit('ok', { n: 1 });
    server.emit('ok', { n: 2 });
  });
}

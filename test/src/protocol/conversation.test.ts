import { describe, expect, it } from 'vitest';
import { jsonCodec } from '../../../src/codec.js';
import { Conversation } from '../../../src/conversation.js';
import type { ReceiveOutcome } from '../../../src/conversation.js';
import type { Envelope } from '../../../src/envelope.js';
import { RequestError } from '../../../src/requests.js';
import { PayloadValidationError, defineContract } from '../../../src/validate.js';
import type { StandardSchemaV1 } from '../../../src/validate.js';

/** A tiny Standard Schema v1 implementation (what zod/valibot provide). */
function schema<T>(vendorCheck: (value: unknown) => boolean, message = 'Expected a string', async = false): StandardSchemaV1<unknown, T> {
  return {
    '~standard': {
      version: 1,
      vendor: 'test',
      validate: (value) => {
        const result = vendorCheck(value) ? { value: value as T } : { issues: [{ message, path: ['text'] }] };
        return async ? Promise.resolve(result) : result;
      },
    },
  };
}
const isText = (v: unknown): boolean => typeof (v as { text?: unknown })?.text === 'string';

const schemas = defineContract({
  client: {
    events: { say: schema<{ text: string }>(isText) },
    requests: { echo: { request: schema<{ text: string }>(isText), response: schema<{ text: string }>(isText) }, slow: { request: schema(isText, 'async bad', true) } },
  },
});

/** Two conversations wired back to back through the JSON codec; the server has handlers. */
function pair() {
  const log = { clientEvents: [] as unknown[], serverEvents: [] as unknown[], clientErrors: [] as unknown[], serverErrors: [] as unknown[], wire: [] as Envelope[] };
  const client: Conversation = new Conversation<void>({
    side: 'client',
    context: undefined,
    schemas,
    transmit: (e) => {
      log.wire.push(e);
      server.receive(jsonCodec.encode(e));
    },
    onEvent: (name, payload) => log.clientEvents.push([name, payload]),
    onError: (err) => log.clientErrors.push(err),
  });
  const server: Conversation<string> = new Conversation({
    side: 'server',
    context: 'peer-1',
    schemas,
    transmit: (e) => {
      log.wire.push(e);
      client.receive(jsonCodec.encode(e));
    },
    onEvent: (name, payload) => log.serverEvents.push([name, payload]),
    onError: (err) => log.serverErrors.push(err),
  });
  client.ready();
  server.ready();
  return { client, server, log };
}

const flush = () => new Promise((resolve) => setTimeout(resolve, 0));

describe('Conversation', () => {
  it('routes a valid event and reports an invalid one without delivering it', () => {
    const { server, log } = pair();
    expect(server.receive('{"v":1,"type":"event","name":"say","payload":{"text":"hi"}}').kind).toBe('handled');
    server.receive('{"v":1,"type":"event","name":"say","payload":{"text":5}}');
    expect(log.serverEvents).toEqual([['say', { text: 'hi' }]]);
    expect(log.serverErrors).toHaveLength(1);
    const err = log.serverErrors[0] as PayloadValidationError;
    expect(err).toBeInstanceOf(PayloadValidationError);
    expect([err.code, err.target, err.message]).toEqual(['ERR_INVALID_PAYLOAD', 'say', 'invalid payload for "say": text: Expected a string']);
  });

  it('answers requests through handlers, with the context, and resolves the requester', async () => {
    const { client, server, log } = pair();
    server.handle('echo', (payload, peer) => ({ text: `${(payload as { text: string }).text} from ${peer}` }));
    const { envelope, promise } = client.requests.create('echo', { text: 'hi' });
    if (envelope === undefined) throw new Error('not registered');
    client.requests.markSent(envelope.id);
    log.wire.push(envelope);
    server.receive(jsonCodec.encode(envelope));
    expect(await promise).toEqual({ text: 'hi from peer-1' });
    expect(log.wire.at(-1)).toEqual({ v: 1, type: 'response', id: 1, payload: { text: 'hi from peer-1' } });
  });

  async function call(name: string, payload: unknown, setup?: (server: Conversation<string>) => void) {
    const { client, server, log } = pair();
    setup?.(server);
    const { envelope, promise } = client.requests.create(name, payload);
    if (envelope === undefined) throw new Error('not registered');
    server.receive(jsonCodec.encode(envelope));
    const result = await promise.then((value) => ({ value }), (error: unknown) => ({ error }));
    return { result, log };
  }

  it('a handler value that cannot be encoded is reported and answered `internal`', async () => {
    const cyclic: Record<string, unknown> = { text: 'loop' };
    cyclic['self'] = cyclic;
    const { result, log } = await call('echo', { text: 'hi' }, (s) => s.handle('echo', () => cyclic));
    expect(result).toMatchObject({ error: { name: 'RequestError', code: 'internal', message: 'internal error' } });
    expect(log.serverErrors).toHaveLength(1);
    expect(log.serverErrors[0]).toBeInstanceOf(TypeError);
    expect(log.wire.at(-1)).toEqual({ v: 1, type: 'error', id: 1, code: 'internal', message: 'internal error' });
  });

  it('unknown method → error envelope unknown_method', async () => {
    const { result, log } = await call('nope', 1);
    expect(log.wire.at(-1)).toEqual({ v: 1, type: 'error', id: 1, code: 'unknown_method', message: 'no handler for "nope"' });
    const err = (result as { error: RequestError }).error;
    expect(err).toBeInstanceOf(RequestError);
    expect(err.code).toBe('unknown_method');
  });

  it('invalid request payload → invalid_payload with issues, the handler never runs', async () => {
    let ran = false;
    const { result, log } = await call('echo', { text: 1 }, (s) => s.handle('echo', () => (ran = true)));
    expect(ran).toBe(false);
    expect(log.wire.at(-1)).toEqual({ v: 1, type: 'error', id: 1, code: 'invalid_payload', message: 'invalid payload for "echo": text: Expected a string', details: [{ message: 'Expected a string', path: ['text'] }] });
    expect((result as { error: RequestError }).error.details).toEqual([{ message: 'Expected a string', path: ['text'] }]);
  });

  it('async schemas are awaited', async () => {
    const { result } = await call('slow', { text: 2 }, (s) => s.handle('slow', () => 'ran'));
    expect((result as { error: RequestError }).error.message).toBe('invalid payload for "slow": text: async bad');
    const ok = await call('slow', { text: 'x' }, (s) => s.handle('slow', () => 'ran'));
    expect(ok.result).toEqual({ value: 'ran' });
  });

  it("a handler's RequestError keeps its code; any other throw becomes internal and is reported locally", async () => {
    const own = await call('echo', { text: 'x' }, (s) => s.handle('echo', () => { throw new RequestError('not_found', 'no such room', { room: 'x' }); }));
    expect(own.log.wire.at(-1)).toEqual({ v: 1, type: 'error', id: 1, code: 'not_found', message: 'no such room', details: { room: 'x' } });
    const boom = new Error('db down');
    const internal = await call('echo', { text: 'x' }, (s) => s.handle('echo', async () => { throw boom; }));
    expect(internal.log.wire.at(-1)).toEqual({ v: 1, type: 'error', id: 1, code: 'internal', message: 'internal error' });
    expect(internal.log.serverErrors).toEqual([boom]);
  });

  it('an invalid response payload rejects the requester with invalid_payload', async () => {
    const { result } = await call('echo', { text: 'x' }, (s) => s.handle('echo', () => ({ text: 42 })));
    expect((result as { error: RequestError }).error.code).toBe('invalid_payload');
  });

  it('a response or error for an unknown id is reported and ignored (not fatal)', () => {
    const { client, log } = pair();
    expect(client.receive('{"v":1,"type":"response","id":99,"payload":1}').kind).toBe('handled');
    expect(client.receive('{"v":1,"type":"error","id":98,"code":"x","message":"y"}').kind).toBe('handled');
    expect(log.clientErrors.map((e) => [(e as Error).name, (e as { code: string }).code, (e as Error).message])).toEqual([
      ['ProtocolError', 'ERR_UNKNOWN_RESPONSE', 'response for unknown request id 99'],
      ['ProtocolError', 'ERR_UNKNOWN_RESPONSE', 'error for unknown request id 98'],
    ]);
  });

  it('answers ping with pong, in the handshake phase too; pong is liveness only', () => {
    const sent: Envelope[] = [];
    const c = new Conversation({ side: 'server', context: undefined, transmit: (e) => sent.push(e), onEvent: () => undefined, onError: () => undefined });
    expect(c.receive('{"v":1,"type":"ping"}').kind).toBe('handled');
    expect(c.receive('{"v":1,"type":"pong"}').kind).toBe('handled');
    expect(sent).toEqual([{ v: 1, type: 'pong' }]);
  });

  it('enforces the handshake: typed traffic before it, a second hello, or a wrongly directed kind are fatal 1008', () => {
    const server = new Conversation({ side: 'server', context: undefined, transmit: () => undefined, onEvent: () => undefined, onError: () => undefined });
    const fatal = (o: ReceiveOutcome) => (o.kind === 'fatal' ? [o.error.code, o.error.closeCode, o.error.message] : o.kind);
    expect(fatal(server.receive('{"v":1,"type":"event","name":"e"}'))).toEqual(['ERR_INVALID_ENVELOPE', 1008, '"event" before the handshake completed']);
    expect(server.receive('{"v":1,"type":"hello","auth":"t"}')).toEqual({ kind: 'handshake', envelope: { v: 1, type: 'hello', auth: 't' } });
    server.ready();
    expect(fatal(server.receive('{"v":1,"type":"hello"}'))).toEqual(['ERR_INVALID_ENVELOPE', 1008, 'unexpected second "hello"']);
    expect(fatal(server.receive('{"v":1,"type":"welcome"}'))).toEqual(['ERR_INVALID_ENVELOPE', 1008, 'a server never receives "welcome"']);
    expect(fatal(server.receive('{"v":1,'))).toEqual(['ERR_INVALID_ENVELOPE', 1007, 'message is not valid JSON']);
    server.reset();
    expect(server.isReady).toBe(false);
  });

  it('directions: a hello at the client and a welcome at the server are fatal 1008; events go both ways', () => {
    const quiet = { context: undefined, transmit: () => undefined, onEvent: () => undefined, onError: () => undefined };
    const client = new Conversation({ side: 'client', ...quiet });
    const server = new Conversation({ side: 'server', ...quiet });
    const fatal = (o: ReceiveOutcome) => (o.kind === 'fatal' ? [o.error.code, o.error.closeCode, o.error.message] : o.kind);
    expect(fatal(client.receive('{"v":1,"type":"hello"}'))).toEqual(['ERR_INVALID_ENVELOPE', 1008, 'a client never receives "hello"']);
    expect(fatal(server.receive('{"v":1,"type":"welcome"}'))).toEqual(['ERR_INVALID_ENVELOPE', 1008, 'a server never receives "welcome"']);
    expect(fatal(client.receive('{"v":1,"type":"welcome"}'))).toBe('handshake');
    expect(fatal(server.receive('{"v":1,"type":"hello","auth":"t"}'))).toBe('handshake');
    client.ready();
    server.ready();
    expect(fatal(client.receive('{"v":1,"type":"event","name":"e"}'))).toBe('handled');
    expect(fatal(server.receive('{"v":1,"type":"event","name":"e"}'))).toBe('handled');
  });

  it('with a `handlers` table, looks each request up by name when it arrives (after its own handle() ones)', async () => {
    const table = new Map<string, (payload: unknown, context: string) => unknown>();
    const sent: Envelope[] = [];
    const server = new Conversation<string>({ side: 'server', context: 'peer-1', handlers: table, transmit: (e) => sent.push(e), onEvent: () => undefined, onError: () => undefined });
    server.ready();
    server.receive('{"v":1,"type":"request","id":1,"name":"who"}');
    table.set('who', (_payload, context) => `answered for ${context}`);
    server.receive('{"v":1,"type":"request","id":2,"name":"who"}');
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(sent).toEqual([
      { v: 1, type: 'error', id: 1, code: 'unknown_method', message: 'no handler for "who"' },
      { v: 1, type: 'response', id: 2, payload: 'answered for peer-1' },
    ]);
    server.handle('who', () => 'own');
    server.receive('{"v":1,"type":"request","id":3,"name":"who"}');
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(sent[2]).toEqual({ v: 1, type: 'response', id: 3, payload: 'own' });
  });

  it('keeps the order of events with synchronous schemas', async () => {
    const { server, log } = pair();
    for (let i = 0; i < 20; i++) server.receive(JSON.stringify({ v: 1, type: 'event', name: 'say', payload: { text: String(i) } }));
    await flush();
    expect(log.serverEvents.map((e) => (e as [string, { text: string }])[1].text)).toEqual(Array.from({ length: 20 }, (_, i) => String(i)));
  });
});

/**
 * Type tests for the contract: checked by `npx tsc -p tsconfig.json --noEmit` (the
 * `@ts-expect-error` lines must fail to compile) and run by vitest as ordinary tests.
 */
import { describe, expectTypeOf, it } from 'vitest';
import { createClient, defineContract } from '../../client/index.js';
import type { ClientEndpoint, InferContract, ServerEndpoint, StandardSchemaV1, TandemClient } from '../../client/index.js';
import type { EventMap, PayloadArgs, RequestHandler, RequestMap, RequestPayload, ResponsePayload } from '../../src/index.js';

type Chat = {
  client: {
    events: { typing: { room: string }; leave: undefined };
    requests: { join: { request: { room: string }; response: { members: string[] } }; whoami: { response: string } };
  };
  server: {
    events: { message: { from: string; text: string } };
    requests: { ping: { request: number; response: 'pong' } };
  };
};

// An interface works as well as a type alias (no index signature needed).
interface OnlyServer {
  server: { events: { tick: number } };
}

// Never called: the type checker is the test.
function clientUsage(client: TandemClient<Chat>): void {
  client.emit('typing', { room: 'a' });
  client.emit('leave');
  // @ts-expect-error unknown event name
  client.emit('typo', { room: 'a' });
  // @ts-expect-error wrong payload type
  client.emit('typing', { room: 1 });
  // @ts-expect-error payload required
  client.emit('typing');
  // @ts-expect-error a server event cannot be emitted by the client
  client.emit('message', { from: 'x', text: 'y' });

  client.on('message', (m) => expectTypeOf(m).toEqualTypeOf<{ from: string; text: string }>());
  // @ts-expect-error the client does not receive its own events
  client.on('typing', () => undefined);
  // @ts-expect-error handler payload type mismatch
  client.on('message', (m: number) => m);

  expectTypeOf(client.request('join', { room: 'a' })).toEqualTypeOf<Promise<{ members: string[] }>>();
  expectTypeOf(client.request('whoami')).toEqualTypeOf<Promise<string>>();
  void client.request('join', { room: 'a' }, { timeout: 100, retry: true });
  // @ts-expect-error wrong request payload
  void client.request('join', { room: 5 });
  // @ts-expect-error unknown method
  void client.request('leave');
  // @ts-expect-error a server request cannot be made by the client
  void client.request('ping', 1);

  client.handle('ping', (n) => {
    expectTypeOf(n).toEqualTypeOf<number>();
    return 'pong' as const;
  });
  // @ts-expect-error wrong response type
  client.handle('ping', () => 'PONG');
  // @ts-expect-error the client does not serve its own requests
  client.handle('join', () => ({ members: [] }));

  client.lifecycle.on('state', (state, previous) => {
    expectTypeOf(state).toEqualTypeOf<'connecting' | 'open' | 'reconnecting' | 'closed'>();
    expectTypeOf(previous).toEqualTypeOf<'connecting' | 'open' | 'reconnecting' | 'closed'>();
  });
}

function serverView(): void {
  // The server's view of the same contract: what a createServer<Chat>() implementation types against.
  type S = ServerEndpoint<Chat>;
  expectTypeOf<S['emits']>().toEqualTypeOf<{ message: { from: string; text: string } }>();
  expectTypeOf<keyof S['receives']>().toEqualTypeOf<'typing' | 'leave'>();
  expectTypeOf<keyof S['serves']>().toEqualTypeOf<'join' | 'whoami'>();
  expectTypeOf<RequestPayload<S['serves'], 'join'>>().toEqualTypeOf<{ room: string }>();
  expectTypeOf<ResponsePayload<S['serves'], 'join'>>().toEqualTypeOf<{ members: string[] }>();
  expectTypeOf<RequestPayload<S['serves'], 'whoami'>>().toEqualTypeOf<undefined>();
  expectTypeOf<ResponsePayload<S['calls'], 'ping'>>().toEqualTypeOf<'pong'>();
  expectTypeOf<ClientEndpoint<Chat>['receives']>().toEqualTypeOf<S['emits']>();
  expectTypeOf<EventMap<Chat, 'client'>>().toEqualTypeOf<ClientEndpoint<Chat>['emits']>();
  expectTypeOf<RequestMap<OnlyServer, 'client'>>().toEqualTypeOf<{}>();
  expectTypeOf<EventMap<OnlyServer, 'server'>>().toEqualTypeOf<{ tick: number }>();
  expectTypeOf<PayloadArgs<undefined>>().toEqualTypeOf<[payload?: undefined]>();
  expectTypeOf<PayloadArgs<string>>().toEqualTypeOf<[payload: string]>();
  const handler: RequestHandler<RequestPayload<S['serves'], 'join'>, ResponsePayload<S['serves'], 'join'>, { id: string }> = (p, peer) => ({ members: [p.room, peer.id] });
  void handler;
  // @ts-expect-error a handler must return the response type
  const wrong: RequestHandler<RequestPayload<S['serves'], 'join'>, ResponsePayload<S['serves'], 'join'>> = () => ({ members: 3 });
  void wrong;
}

function emptyContract(client: TandemClient<OnlyServer>): void {
  client.on('tick', (n) => expectTypeOf(n).toEqualTypeOf<number>());
  // @ts-expect-error the contract gives the client no events
  client.emit('tick', 1);
}

declare function schemaOf<T>(): StandardSchemaV1<unknown, T>;

function schemaContract(): void {
  const contract = defineContract({
    client: { events: { say: schemaOf<{ text: string }>() }, requests: { add: { request: schemaOf<[number, number]>(), response: schemaOf<number>() } } },
    server: { events: { said: schemaOf<{ from: string }>() } },
  });
  type C = InferContract<typeof contract>;
  expectTypeOf<EventMap<C, 'client'>>().toEqualTypeOf<{ say: { text: string } }>();
  const client = createClient<C>('ws://x', { schemas: contract });
  client.emit('say', { text: 'hi' });
  expectTypeOf(client.request('add', [1, 2])).toEqualTypeOf<Promise<number>>();
  // @ts-expect-error inferred from the schema
  client.emit('say', { text: 1 });
  // @ts-expect-error a schema must match the contract's payload type
  createClient<Chat>('ws://x', { schemas: { client: { events: { typing: schemaOf<{ room: number }>() } } } });
}

describe('contract types', () => {
  it('compile (checked by tsc; the functions above are never called)', () => {
    expectTypeOf(clientUsage).toBeFunction();
    expectTypeOf(serverView).toBeFunction();
    expectTypeOf(emptyContract).toBeFunction();
    expectTypeOf(schemaContract).toBeFunction();
  });
});

import { describe, expectTypeOf, it } from 'vitest';
import type { Peer } from '../../../server/typed/peer.js';
import type { TandemServer } from '../../../server/typed/server.js';

interface Contract {
  client: {
    events: { say: { text: string } };
    requests: { add: { request: { a: number; b: number }; response: number } };
  };
  server: {
    events: { said: { text: string }; ping: undefined };
    requests: { confirm: { request: string; response: boolean } };
  };
}

describe('typed server: the contract is enforced at compile time', () => {
  it('peer.on / peer.emit / peer.request / server.handle / broadcasts follow the contract', () => {
    // Compile-time only: the function is type-checked, never called.
    const check = (server: TandemServer<Contract, { user: string }>, peer: Peer<Contract, { user: string }>) => {
      peer.on('say', (payload) => expectTypeOf(payload).toEqualTypeOf<{ text: string }>());
      peer.lifecycle.on('disconnect', (reason, code) => {
        expectTypeOf(reason).toBeString();
        expectTypeOf(code).toBeNumber();
      });
      peer.emit('said', { text: 'x' });
      peer.emit('ping');
      peer.emit('said', { text: 'x' }, { volatile: true });
      expectTypeOf(peer.request('confirm', 'sure?')).toEqualTypeOf<Promise<boolean>>();
      expectTypeOf(peer.identity).toEqualTypeOf<{ user: string }>();
      server.handle('add', ({ a, b }, from) => {
        expectTypeOf(from.identity.user).toBeString();
        return a + b;
      });
      server.to('room').except(peer).emit('said', { text: 'y' });
      server.emit('said', { text: 'z' });

      // @ts-expect-error an event the client does not send
      peer.on('said', () => {});
      // @ts-expect-error wrong payload type
      peer.emit('said', { text: 1 });
      // @ts-expect-error an event the server does not send
      server.emit('say', { text: 'x' });
      // @ts-expect-error the handler must return the response type
      server.handle('add', () => 'not a number');
      // @ts-expect-error a request the client does not make
      server.handle('confirm', () => true);
      // @ts-expect-error a request the client does not serve
      void peer.request('add', { a: 1, b: 2 });
      // @ts-expect-error broadcast payloads are checked too
      server.to('room').emit('said', { text: false });
    };
    expectTypeOf(check).toBeFunction();
  });
});

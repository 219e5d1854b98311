/**
 * The README's "one contract, both ends" example, compiled by test/types/typecheck.test.ts so the
 * documented API cannot drift from the real one. Never run.
 */
import { createClient } from '../../client/index.js';
import { createServer, RequestError } from '../../server/index.js';

export type Chat = {
  client: {
    events: { say: { text: string } };
    requests: { join: { request: { room: string }; response: { users: string[] } } };
  };
  server: {
    events: { message: { from: string; text: string } };
    requests: { ping: { request: number; response: 'pong' } };
  };
};

declare function render(from: string, text: string): void;
declare function badge(state: 'connecting' | 'open' | 'reconnecting' | 'closed'): void;
declare const localStorage: { token: string };

export function serverSide(): void {
  const server = createServer<Chat>({ port: 8080, perMessageDeflate: true });
  server.handle('join', ({ room }, peer) => {
    if (!/^[a-z0-9-]+$/.test(room)) throw new RequestError('invalid_room', 'letters, digits and - only');
    peer.join(room);
    return { users: [...server.adapter.membersOf(room)] };
  });
  server.on('connection', (peer) => {
    peer.on('say', ({ text }) => server.to([...peer.rooms]).emit('message', { from: peer.id, text }));
  });
}

export async function clientSide(): Promise<void> {
  const client = createClient<Chat>('wss://example.com/ws', { auth: () => ({ token: localStorage.token }) });
  client.on('message', ({ from, text }) => render(from, text));
  const { users } = await client.request('join', { room: 'lobby' }, { timeout: 5_000 });
  users satisfies string[];
  client.emit('say', { text: 'hello' });
  client.handle('ping', () => 'pong');
  client.lifecycle.on('state', (state) => badge(state));
}

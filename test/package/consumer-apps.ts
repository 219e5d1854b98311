/**
 * Small consumer apps type-checked against the packed tarball by package.test.ts: what a user's
 * `tsc` sees after `npm install tandem`, under each module setting people use. Each app is a
 * folder (package.json + tsconfig.json + app.ts); none sets skipLibCheck, so the package's own
 * declaration files (and how they import eventemitter3) are checked too.
 */

/** One consumer app: its module setting, package type, and which entries it uses. */
export interface ConsumerApp {
  readonly name: string;
  readonly type: 'module' | 'commonjs';
  readonly compilerOptions: Record<string, unknown>;
  /** Node app (all entries, tandem/client through its `node` condition, @types/node) or browser app (tandem + tandem/client, DOM, no Node types). */
  readonly platform: 'node' | 'browser';
}

const strict = { strict: true, noEmit: true, target: 'ES2022', noUnusedLocals: false, exactOptionalPropertyTypes: true };

/** The matrix: ESM and CJS under node16 and nodenext, plus a bundler (browser) app. */
export const CONSUMER_APPS: readonly ConsumerApp[] = [
  { name: 'esm-node16', type: 'module', platform: 'node', compilerOptions: { ...strict, module: 'node16', moduleResolution: 'node16', lib: ['ES2022'], types: ['node'] } },
  { name: 'esm-nodenext', type: 'module', platform: 'node', compilerOptions: { ...strict, module: 'nodenext', moduleResolution: 'nodenext', lib: ['ES2022'], types: ['node'] } },
  { name: 'cjs-node16', type: 'commonjs', platform: 'node', compilerOptions: { ...strict, module: 'node16', moduleResolution: 'node16', lib: ['ES2022'], types: ['node'] } },
  { name: 'cjs-nodenext', type: 'commonjs', platform: 'node', compilerOptions: { ...strict, module: 'nodenext', moduleResolution: 'nodenext', lib: ['ES2022'], types: ['node'] } },
  { name: 'esm-bundler', type: 'module', platform: 'browser', compilerOptions: { ...strict, module: 'esnext', moduleResolution: 'bundler', lib: ['ES2022', 'DOM'], types: [] } },
];

const contract = `
export type Chat = {
  client: {
    events: { say: { text: string } };
    requests: { join: { request: { room: string }; response: { users: string[] } } };
  };
  server: { events: { message: { from: string; text: string } } };
};
`;

const browserApp = `
import { CloseCodes, isProtocolError } from 'tandem';
import { createClient, RequestError, type CloseInfo } from 'tandem/client';
${contract}
const client = createClient<Chat>('wss://example.com/ws', { reconnect: { maxRetries: 5 } });
client.on('message', ({ from, text }) => console.log(from.toUpperCase(), text.length));
client.lifecycle.on('close', (info: CloseInfo) => console.log(info.code === CloseCodes.NormalClosure));
client.lifecycle.on('error', (error) => console.log(error.message, isProtocolError(error)));
export async function join(): Promise<string[]> {
  try {
    return (await client.request('join', { room: 'lobby' })).users;
  } catch (err) {
    if (err instanceof RequestError) return [err.code];
    throw err;
  }
}
// @ts-expect-error: not in the contract
client.emit('shout', { text: 'hi' });
`;

const nodeApp = `
import { createServer as createHttpServer } from 'node:http';
import { CloseCodes } from 'tandem';
import { createClient, WebSocket } from 'tandem/client'; // the node condition: Tandem's own WebSocket too
import { createServer, WebSocketServer, RequestError, type ServerConnection } from 'tandem/server';
import { createProxy } from 'tandem/proxy';
import { redisAdapter } from 'tandem/redis';
${contract}
const wss = new WebSocketServer({ server: createHttpServer(), path: '/raw' });
wss.on('connection', (socket, request) => {
  socket.on('message', (data, isBinary) => socket.send(data, { binary: isBinary }));
  socket.on('close', (code, reason) => console.log(code, reason.toString('utf8'), request.url));
  socket.on('error', (err) => console.log(err.message));
});
wss.on('error', (err) => console.log(err.message));
export const sockets: Set<ServerConnection> = wss.clients;

const server = createServer<Chat>({ port: 0 });
server.handle('join', ({ room }, peer) => {
  if (room === '') throw new RequestError('invalid_room', 'empty');
  peer.join(room);
  return { users: [...server.adapter.membersOf(room)] };
});
server.on('connection', (peer) => peer.on('say', ({ text }) => server.to([...peer.rooms]).emit('message', { from: peer.id, text })));
server.on('error', (error, peer) => console.log(error, peer?.id));
export const metrics: string = server.metrics();

const client = createClient<Chat>('ws://127.0.0.1:8080');
client.emit('say', { text: 'hello' });
client.lifecycle.on('close', ({ error }) => console.log(error?.code));
client.close(CloseCodes.NormalClosure);

const ws = new WebSocket('ws://127.0.0.1:8080', [], { headers: { authorization: 'Bearer x' } });
ws.binaryType = 'nodebuffer';
ws.onerror = (event) => console.log(event.error);

const cluster = createServer<Chat>({ port: 0, adapter: redisAdapter({ url: 'redis://127.0.0.1:6379', prefix: 'app' }) });
export async function flaky(): Promise<number> {
  const proxy = await createProxy({ listen: 0, target: '127.0.0.1:8080', latency: 20 });
  proxy.on('cut', ({ id }) => console.log(id));
  proxy.cutAll();
  await proxy.close();
  return proxy.port + cluster.stats().connections;
}
`;

/** The files of `app`: relative path → contents. */
export function consumerFiles(app: ConsumerApp): Record<string, string> {
  return {
    'package.json': JSON.stringify({ name: app.name, private: true, type: app.type }),
    'tsconfig.json': JSON.stringify({ compilerOptions: app.compilerOptions, files: ['app.ts'] }),
    'app.ts': app.platform === 'node' ? nodeApp : browserApp,
  };
}

// The Tandem demo: a small chat. `npm start` builds the package and runs this file.
// One HTTP server serves the page and takes the WebSocket upgrades on /chat.
// The contract both ends follow is written down in ./contract.ts.
// `npm run start:h2` (`--h2`) serves it over HTTPS with HTTP/2 and a self-signed certificate
// made at start: browsers then open the WebSocket as an extended CONNECT stream of the page's
// own HTTP/2 connection (RFC 8441), or over HTTP/1.1 on the same port when they cannot
// (TANDEM_WS_H2=0 turns the HTTP/2 WebSockets off, to watch that fallback).
import { createServer as createHttpServer } from 'node:http';
import { createSecureServer } from 'node:http2';
import { readFile } from 'node:fs/promises';
import { randomUUID } from 'node:crypto';
import { AuthenticationError, createServer, RequestError } from '../dist/server.js';
import { RoomHistory } from './room-history.mjs';

const PORT = Number(process.env.PORT ?? (process.argv.includes('--h2') ? 8443 : 8080));
const H2 = process.argv.includes('--h2');
const WS_OVER_H2 = process.env.TANDEM_WS_H2 !== '0';
// Set by `npm run start:cluster` (demo/cluster.mjs): rooms and presence span every node on this Redis.
const REDIS_URL = process.env.REDIS_URL;
const cluster = REDIS_URL ? await import('./cluster-names.mjs').then((m) => m.clusterNames(REDIS_URL)) : undefined;

// ——— static files: the page, and the browser client from dist/ ———
const files = {
  '/': ['page/index.html', 'text/html; charset=utf-8'],
  '/app.js': ['page/app.js', 'text/javascript; charset=utf-8'],
  '/style.css': ['page/style.css', 'text/css; charset=utf-8'],
  '/tandem.umd.min.js': ['../dist/tandem.umd.min.js', 'text/javascript; charset=utf-8'],
};

async function serveFile(req, res) {
  const path = new URL(req.url ?? '/', 'http://x').pathname;
  if (path === '/favicon.ico') return void res.writeHead(204).end();
  const file = files[path];
  if (!file) return void res.writeHead(404).end('not found');
  try {
    const body = await readFile(new URL(file[0], import.meta.url));
    res.writeHead(200, { 'content-type': file[1], 'cache-control': 'no-store' }).end(body);
  } catch {
    res.writeHead(500).end('missing file: run `npm run build`');
  }
}

// HTTP/2 needs TLS in browsers; allowHTTP1 keeps HTTP/1.1 clients (and their Upgrade) on the same port.
const tls = H2 ? (await import('./self-signed.mjs')).selfSignedCertificate() : undefined;
const http = tls ? createSecureServer({ ...tls, allowHTTP1: true }, serveFile) : createHttpServer(serveFile);

// ——— the typed server ———
const validRoom = (room) => typeof room === 'string' && /^[a-z0-9-]{1,24}$/i.test(room);

/** @type {import('../dist/server.js').TandemServer<import('./contract.js').ChatContract>} */
const chat = createServer({
  server: http,
  path: '/chat',
  http2: WS_OVER_H2,
  // Every browser offers permessage-deflate; JSON chat traffic compresses well.
  perMessageDeflate: true,
  ...(REDIS_URL ? { adapter: (await import('../dist/redis.js')).redisAdapter({ url: REDIS_URL, prefix: 'tandem-demo' }) } : {}),
  // Browsers cannot send headers with a WebSocket, so the name travels in the hello (`auth`),
  // checked before the server's welcome. A 4401 close tells the client not to come back.
  authenticateHello: (auth) => {
    const { name, room } = auth ?? {};
    if (typeof name !== 'string' || name.trim() === '' || name.length > 24 || !validRoom(room)) {
      throw new AuthenticationError(401, 'a name (1-24 characters) and a room (letters, digits, -) are required');
    }
    return { name: name.trim(), room };
  },
});
// The last 50 messages of the 100 most recently active rooms, for people who join or come back.
const history = new RoomHistory({ rooms: 100, perRoom: 50 });

// Members on every node (fetchMembers asks the adapter); names of peers on other nodes come from Redis.
async function usersIn(room) {
  const ids = await chat.to(room).fetchMembers();
  const names = cluster ? await cluster.names(ids) : ids.map((id) => chat.peers.get(id)?.data.name);
  return names.filter(Boolean).sort();
}

const presence = (room) =>
  usersIn(room).then(
    (users) => chat.to(room).emit('presence', { room, users }),
    (err) => console.error('[chat] presence', err.message),
  );

function enter(peer, room) {
  const previous = peer.data.room;
  if (previous) peer.leave(previous);
  peer.data.room = room;
  peer.join(room);
  peer.emit('history', { room, messages: history.messages(room) });
  if (previous && previous !== room) void presence(previous);
  void presence(room);
}

chat.on('connection', (peer) => {
  peer.data.name = peer.identity.name;
  cluster?.add(peer.id, peer.data.name);
  // Over HTTP/2 the handshake was an extended CONNECT, whose headers carry `:protocol`.
  peer.emit('transport', { protocol: peer.handshake.headers[':protocol'] === undefined ? 'HTTP/1.1' : 'HTTP/2' });
  enter(peer, peer.identity.room); // after a reconnect: the room the page is in now

  peer.on('say', ({ text }) => {
    if (typeof text !== 'string' || text.trim() === '') return;
    const message = { id: randomUUID(), from: peer.data.name, text: text.slice(0, 500), at: Date.now() };
    history.add(peer.data.room, message);
    chat.to(peer.data.room).emit('message', message); // encoded once, same bytes to everyone
  });
});

chat.handle('join', async ({ room }, peer) => {
  if (!validRoom(room)) throw new RequestError('invalid_room', 'a room name is 1-24 letters, digits or dashes');
  enter(peer, room);
  return { room, users: await usersIn(room) };
});

chat.handle('clock', () => ({ now: Date.now() }));

chat.on('disconnect', (peer) => {
  cluster?.remove(peer.id);
  const room = peer.data.room;
  if (room) void presence(room);
});

chat.on('error', (err) => console.error('[chat]', err instanceof Error ? err.message : err));

http.listen(PORT, () => {
  const where = `${tls ? 'https' : 'http'}://localhost:${http.address().port}`;
  console.log(`Tandem demo on ${where}${tls ? ` (HTTP/2, self-signed certificate; WebSockets over HTTP/2 ${WS_OVER_H2 ? 'on' : 'off'})` : ''}`);
});

// Ctrl-C: tell the browsers we are restarting (1012), so they come back after a jittered delay.
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, async () => {
    await chat.close({ restart: true, timeout: 2000 });
    await cluster?.close();
    http.close();
    process.exit(0);
  });
}

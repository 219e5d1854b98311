// One cluster node for the multi-process tests: a typed server on 127.0.0.1 (port 0) with the
// Redis adapter, from the built dist/. Prints `listening <port> <nodeId>`; exits on SIGTERM.
//
// Clients say who they are in the hello (`auth: { name, rooms }`) and drive the node with
// requests: burst (broadcast N ticks to a room or everyone), direct (emit to a peer id),
// members / count / rooms (cluster-wide queries), join / leave (of any peer id, on any node),
// stats. Usage: node test/cluster/fixture-server.mjs <redis-url> <prefix> [interval timeout maxQueued]
import { createServer } from '../../dist/server.js';
import { redisAdapter } from '../../dist/redis.js';

const [url, prefix, interval = '300', timeout = '1200', maxQueued = '10000'] = process.argv.slice(2);
const adapter = redisAdapter({
  url,
  prefix,
  heartbeat: { interval: Number(interval), timeout: Number(timeout) },
  maxQueued: Number(maxQueued),
  maxQueuedBytes: 64 * 1024 * 1024,
  reconnect: { minDelay: 50, maxDelay: 500 },
});
const server = createServer({
  port: 0,
  host: '127.0.0.1',
  adapter,
  // Bursts of thousands of ticks must not trip the slow-consumer limit on loopback.
  backpressure: { highWaterMark: 64 * 1024 * 1024, maxBufferedBytes: 256 * 1024 * 1024 },
  authenticateHello: (auth) => auth ?? {},
});
const errors = {};
server.on('error', (err) => {
  const code = err?.code ?? 'unknown';
  errors[code] = (errors[code] ?? 0) + 1;
});
server.on('connection', (peer) => {
  peer.data.name = peer.identity?.name;
  if (Array.isArray(peer.identity?.rooms)) peer.join(peer.identity.rooms);
  // A client's own stream (resume across nodes): every note is echoed to the watchers' room.
  peer.on('note', ({ i }) => server.to('watch').emit('noted', { from: peer.identity?.name, i }));
});

server.handle('whoami', (_payload, peer) => ({ id: peer.id, node: server.stats().adapter?.nodeId }));
server.handle('burst', ({ room, count, from, every = 0 }) => {
  const to = room ? server.to(room) : server;
  if (every === 0) {
    for (let i = 0; i < count; i++) to.emit('tick', { from, i });
    return { sent: count };
  }
  // Spread over time (a steady stream while Redis is restarted): resolve when all are sent.
  return new Promise((resolve) => {
    let i = 0;
    const timer = setInterval(() => {
      to.emit('tick', { from, i });
      if (++i === count) {
        clearInterval(timer);
        resolve({ sent: count });
      }
    }, every);
  });
});
server.handle('direct', ({ to, n }) => ({ local: server.toPeer(to).emit('direct', { n }) }));
server.handle('members', async ({ room }) => (await server.to(room).fetchMembers()).sort());
server.handle('count', () => server.adapter.fetchPeerCount());
server.handle('rooms', ({ peer }) => server.adapter.fetchRoomsOf(peer));
server.handle('join', async ({ peer, room }) => (await server.toPeer(peer).join(room), true));
server.handle('leave', async ({ peer, room }) => (await server.toPeer(peer).leave(room), true));
server.handle('stats', () => ({ ...server.stats(), errors, rss: process.memoryUsage().rss }));

server.on('listening', () => process.stdout.write(`listening ${server.address().port} ${server.stats().adapter?.nodeId}\n`));
process.on('SIGTERM', async () => {
  await server.close({ timeout: 500 });
  process.exit(0);
});
process.on('unhandledRejection', (reason) => {
  process.stderr.write(`UNHANDLED REJECTION ${reason?.stack ?? reason}\n`);
  process.exit(70);
});

/**
 * One node of the cross-node fan-out benchmark: `tandem` (createServer + tandem/redis) or
 * `socketio` (Socket.IO 4 + @socket.io/redis-adapter, node-redis clients), both against the same
 * Redis. Every `fire` event a client sends is broadcast to every client on every node as `tick`
 * with the same payload. Prints `listening <port>`.
 *
 * Usage: node bench/servers/cluster-node.mjs tandem|socketio <redis-url> [--port 0]
 */
import { createServer as createHttpServer } from 'node:http';
import { parseArgs } from 'node:util';

const { values, positionals } = parseArgs({ allowPositionals: true, options: { port: { type: 'string', default: '0' } } });
const [kind, url] = positionals;
const report = (err) => process.stderr.write(`cluster-node ${kind}: ${err instanceof Error ? err.message : String(err)}\n`);

if (kind === 'tandem') {
  const { createServer } = await import('../../dist/server.js');
  const { redisAdapter } = await import('../../dist/redis.js');
  const server = createServer({ port: Number(values.port), host: '127.0.0.1', adapter: redisAdapter({ url, prefix: 'bench' }) });
  server.on('connection', (peer) => peer.on('fire', (payload) => server.emit('tick', payload)));
  server.on('error', report);
  server.on('listening', () => process.stdout.write(`listening ${server.address().port}\n`));
} else if (kind === 'socketio') {
  const { Server } = await import('socket.io');
  const { createAdapter } = await import('@socket.io/redis-adapter');
  const { createClient } = await import('redis');
  const pub = createClient({ url });
  const sub = pub.duplicate();
  pub.on('error', report);
  sub.on('error', report);
  await Promise.all([pub.connect(), sub.connect()]);
  const http = createHttpServer();
  const io = new Server(http, { transports: ['websocket'], adapter: createAdapter(pub, sub, { key: 'bench-sio' }) });
  io.on('connection', (socket) => socket.on('fire', (payload) => io.emit('tick', payload)));
  http.listen(Number(values.port), '127.0.0.1', () => process.stdout.write(`listening ${http.address().port}\n`));
} else {
  throw new Error(`unknown node kind ${kind}`);
}
process.on('SIGTERM', () => process.exit(0));

/**
 * Cross-node fan-out (issue 11): 3 nodes × `peers` clients each, all on one redis-server started
 * here; one client fires 128 B events, every node broadcasts each to all its clients through the
 * Redis adapter. Tandem (tandem/redis) against Socket.IO 4 + @socket.io/redis-adapter, same
 * Redis, same clients count, alternated per round. At most `inflight` broadcasts are outstanding
 * (broadcast s is complete when all 3 × peers clients have it). Reported: deliveries/s and
 * CPU-seconds per million deliveries of the three nodes and of redis-server.
 *
 * Usage: node bench/cluster-fanout.mjs [--peers 1000] [--rounds 2] [--measure 3000] [--json]
 * (bench/run.mjs runs it after the other workloads; needs redis-server and a built dist/).
 */
import { spawn, spawnSync } from 'node:child_process';
import { createServer } from 'node:net';
import { parseArgs } from 'node:util';
import WebSocket from 'ws';
import { io as ioClient } from 'socket.io-client';
import { cpuTicks, CLK_TCK } from './proc-stat.mjs';

const { values: args } = parseArgs({
  options: {
    peers: { type: 'string', default: '1000' },
    rounds: { type: 'string', default: '2' },
    warmup: { type: 'string', default: '1000' },
    measure: { type: 'string', default: '3000' },
    inflight: { type: 'string', default: '16' },
    json: { type: 'boolean', default: false },
  },
});
const PEERS = Number(args.peers);
const NODES = 3;
const ROOT = new URL('..', import.meta.url);
const log = (line) => process.stderr.write(`${line}\n`);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const TEXT = 'the quick brown fox jumps over the lazy dog while the crowd keeps talking';

function freePort() {
  return new Promise((resolve) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
}

function startProcess(command, argv, ready) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, argv, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    const timer = setTimeout(() => reject(new Error(`${argv.join(' ')}: not ready`)), 15_000);
    child.stderr.on('data', (d) => (out += d));
    child.stdout.on('data', (d) => {
      out += d;
      const match = ready.exec(out);
      if (!match) return;
      clearTimeout(timer);
      child.stdout.resume();
      resolve({ child, pid: child.pid, port: Number(match[1] ?? 0), stop: () => child.kill('SIGKILL') });
    });
    child.once('exit', (code) => reject(new Error(`${argv.join(' ')} exited ${code}: ${out.slice(-400)}`)));
  });
}

/** Clients of one implementation: connect, count ticks per seq, fire within the window. */
async function connectClients(kind, ports, onTick) {
  const sockets = [];
  for (let n = 0; n < NODES; n++) {
    for (let i = 0; i < PEERS; i += 50) {
      const batch = [];
      for (let k = i; k < Math.min(PEERS, i + 50); k++) batch.push(kind === 'tandem' ? tandemClient(ports[n], onTick) : socketioClient(ports[n], onTick));
      sockets.push(...(await Promise.all(batch)));
    }
  }
  return sockets;
}

function tandemClient(port, onTick) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}`, { perMessageDeflate: false });
    ws.once('error', reject);
    ws.once('open', () => ws.send('{"v":1,"type":"hello"}'));
    ws.on('message', (data) => {
      const envelope = JSON.parse(data);
      if (envelope.type === 'welcome') resolve({ fire: (payload) => ws.send(JSON.stringify({ v: 1, type: 'event', name: 'fire', payload })), close: () => ws.terminate() });
      else if (envelope.name === 'tick') onTick(envelope.payload.seq);
    });
  });
}

function socketioClient(port, onTick) {
  return new Promise((resolve, reject) => {
    const socket = ioClient(`http://127.0.0.1:${port}`, { transports: ['websocket'], reconnection: false, forceNew: true });
    socket.once('connect_error', reject);
    socket.once('connect', () => resolve({ fire: (payload) => socket.emit('fire', payload), close: () => socket.disconnect() }));
    socket.on('tick', (payload) => onTick(payload.seq));
  });
}

async function measure(kind, redis) {
  const nodes = [];
  for (let n = 0; n < NODES; n++) nodes.push(await startProcess(process.execPath, ['bench/servers/cluster-node.mjs', kind, redis.url], /^listening (\d+)$/m));
  const total = NODES * PEERS;
  const counts = new Map();
  const state = { fired: 0, delivered: 0, stopping: false };
  let trigger;
  const fire = () => trigger.fire({ seq: state.fired++, text: TEXT });
  const onTick = (seq) => {
    state.delivered++;
    const c = (counts.get(seq) ?? 0) + 1;
    if (c < total) return void counts.set(seq, c);
    counts.delete(seq);
    if (!state.stopping) fire();
  };
  const clients = await connectClients(kind, nodes.map((n) => n.port), onTick);
  try {
    trigger = clients[0];
    await sleep(300); // subscriptions settle
    for (let i = 0; i < Number(args.inflight); i++) fire();
    await sleep(Number(args.warmup));
    const pids = [...nodes.map((n) => n.pid), redis.pid];
    const a = { at: process.hrtime.bigint(), delivered: state.delivered, ticks: pids.map(cpuTicks) };
    await sleep(Number(args.measure));
    const b = { at: process.hrtime.bigint(), delivered: state.delivered, ticks: pids.map(cpuTicks) };
    state.stopping = true;
    const seconds = Number(b.at - a.at) / 1e9;
    const deliveries = b.delivered - a.delivered;
    const cpu = (i) => (b.ticks[i] - a.ticks[i]) / CLK_TCK;
    const nodeCpu = cpu(0) + cpu(1) + cpu(2);
    return {
      kind,
      deliveriesPerSec: deliveries / seconds,
      nodeCpuPerMillion: deliveries > 0 ? (nodeCpu / deliveries) * 1e6 : null,
      redisCpuPerMillion: deliveries > 0 ? (cpu(3) / deliveries) * 1e6 : null,
    };
  } finally {
    for (const c of clients) c.close();
    for (const n of nodes) n.stop();
  }
}

if (spawnSync('redis-server', ['--version']).status !== 0) {
  log('cluster-fanout: redis-server not found (apt-get install -y redis-server); skipped');
  process.stdout.write(args.json ? 'null\n' : '');
  process.exit(0);
}
const port = await freePort();
const redisProcess = await startProcess('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], /Ready to accept connections()/);
const redis = { url: `redis://127.0.0.1:${port}`, pid: redisProcess.pid };
const results = [];
try {
  for (let round = 1; round <= Number(args.rounds); round++) {
    for (const kind of ['tandem', 'socketio']) {
      const r = await measure(kind, redis);
      log(`cluster-fanout round ${round} ${kind}: ${Math.round(r.deliveriesPerSec)} deliveries/s, nodes ${r.nodeCpuPerMillion?.toFixed(2)} CPU-s/1M, redis ${r.redisCpuPerMillion?.toFixed(2)} CPU-s/1M`);
      results.push({ round, ...r });
    }
  }
} finally {
  redisProcess.stop();
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const rows = ['tandem', 'socketio'].map((kind) => {
  const mine = results.filter((r) => r.kind === kind);
  return { kind, deliveriesPerSec: median(mine.map((r) => r.deliveriesPerSec)), nodeCpuPerMillion: median(mine.map((r) => r.nodeCpuPerMillion)), redisCpuPerMillion: median(mine.map((r) => r.redisCpuPerMillion)) };
});
if (args.json) process.stdout.write(`${JSON.stringify({ peers: PEERS, nodes: NODES, rounds: Number(args.rounds), rows })}\n`);
else {
  process.stdout.write(`\n### Cross-node fan-out: ${NODES} nodes × ${PEERS} peers, 128 B events, one Redis (median of ${args.rounds} rounds)\n\n`);
  process.stdout.write('| server | deliveries/s | nodes CPU-s / 1M deliveries | redis CPU-s / 1M |\n|---|---:|---:|---:|\n');
  for (const r of rows) process.stdout.write(`| ${r.kind === 'tandem' ? 'Tandem + tandem/redis' : 'Socket.IO 4 + @socket.io/redis-adapter'} | ${Math.round(r.deliveriesPerSec)} | ${r.nodeCpuPerMillion?.toFixed(2)} | ${r.redisCpuPerMillion?.toFixed(2)} |\n`);
}

/**
 * WebSocket over HTTP/2 (RFC 8441) next to HTTP/1.1, on the same Tandem server and TLS port
 * (bench/servers/tandem-tls-echo.mjs, its own process) and the same client (Tandem's Node
 * WebSocket from dist/, with and without its `http2` option):
 *
 * - handshakes/s: `concurrency` workers each repeat open → one 32 B echo → close. Over HTTP/1.1
 *   every WebSocket is a new TCP + TLS connection (what a browser does); over HTTP/2 it is a
 *   new stream on the one session the client keeps per origin (what a browser does when the
 *   page came over HTTP/2). Server CPU per handshake from /proc.
 * - small messages: `conns` open WebSockets echo 32 B text messages, one in flight each;
 *   messages/s and server CPU-seconds per million messages.
 *
 * Transports alternate within every round so machine drift cancels; the median of the rounds
 * is reported. Usage: node bench/http2.mjs [--quick] [--json] (needs dist/ and openssl).
 */
import { spawn } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { WebSocket } from '../dist/client-node.js';
import { selfSignedCertificate } from '../demo/self-signed.mjs';
import { CLK_TCK, cpuTicks } from './proc-stat.mjs';

const { values: args } = parseArgs({ options: { quick: { type: 'boolean', default: false }, json: { type: 'boolean', default: false } } });
const MODE = args.quick ? { rounds: 1, measureMs: 1500, warmupMs: 300 } : { rounds: 3, measureMs: 4000, warmupMs: 800 };
const HANDSHAKE_CONCURRENCY = 16;
const MESSAGE_CONNS = 50;
const PAYLOAD = 'x'.repeat(32);
const tls = selfSignedCertificate();
const TRANSPORTS = [
  { id: 'http1', label: 'HTTP/1.1 Upgrade (a TLS connection per WebSocket)', http2: false },
  { id: 'http2', label: 'HTTP/2 extended CONNECT (a stream per WebSocket, one session)', http2: true },
];

async function startServer() {
  const child = spawn(process.execPath, [new URL('servers/tandem-tls-echo.mjs', import.meta.url).pathname], {
    env: { ...process.env, TANDEM_TLS_KEY: tls.key, TANDEM_TLS_CERT: tls.cert },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const port = await new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (chunk) => {
      out += chunk;
      const match = /listening (\d+)/.exec(out);
      if (match) resolve(Number(match[1]));
    });
    child.once('exit', (code) => reject(new Error(`server exited with ${code}`)));
  });
  return { port, pid: child.pid, stop: () => new Promise((resolve) => (child.once('exit', resolve), child.kill('SIGTERM'))) };
}

/** Opens a WebSocket (rejects on error), with the echo helper the workloads use. */
function open(port, http2) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`wss://127.0.0.1:${port}/`, { ca: tls.cert, http2, perMessageDeflate: false });
    ws.onopen = () => resolve(ws);
    ws.onerror = (event) => reject(event.error ?? new Error('websocket error'));
  });
}

function echo(ws) {
  return new Promise((resolve, reject) => {
    ws.onmessage = (event) => (event.data === PAYLOAD ? resolve() : reject(new Error('wrong echo')));
    ws.send(PAYLOAD);
  });
}

function closed(ws) {
  return new Promise((resolve) => {
    ws.onclose = (event) => resolve(event.code);
    ws.close(1000);
  });
}

async function handshakes(server, http2) {
  return measureCounting(server, HANDSHAKE_CONCURRENCY, async (count) => {
    const ws = await open(server.port, http2);
    await echo(ws);
    if ((await closed(ws)) !== 1000) throw new Error('unclean close');
    count();
  });
}

async function messages(server, http2) {
  const sockets = await Promise.all(Array.from({ length: MESSAGE_CONNS }, () => open(server.port, http2)));
  try {
    return await measureCounting(server, MESSAGE_CONNS, async (count, i) => {
      await echo(sockets[i]);
      count();
    });
  } finally {
    await Promise.all(sockets.map(closed));
  }
}

/** `measure` with a completion counter handed to the work function. */
async function measureCounting(server, workers, work) {
  let count = 0;
  const state = { stop: false, error: undefined };
  const loops = Array.from({ length: workers }, (_, i) =>
    (async () => {
      while (!state.stop) await work(() => count++, i);
    })().catch((err) => {
      state.error ??= err;
      state.stop = true;
    }),
  );
  await new Promise((r) => setTimeout(r, MODE.warmupMs));
  const a = { count, ticks: cpuTicks(server.pid), at: performance.now() };
  await new Promise((r) => setTimeout(r, MODE.measureMs));
  const b = { count, ticks: cpuTicks(server.pid), at: performance.now() };
  state.stop = true;
  await Promise.all(loops);
  if (state.error) throw state.error;
  const ops = b.count - a.count;
  const seconds = (b.at - a.at) / 1000;
  const cpuSec = (b.ticks - a.ticks) / CLK_TCK;
  return { opsPerSec: ops / seconds, serverCpuPerMillion: ops > 0 ? (cpuSec / ops) * 1e6 : null, serverCpuPct: (cpuSec / seconds) * 100 };
}

const median = (values) => [...values].sort((x, y) => x - y)[Math.floor(values.length / 2)];

const WORKLOADS = [
  { id: 'handshakes', title: 'Handshakes (open, 32 B echo, close)', unit: 'handshakes/s', run: handshakes },
  { id: 'messages', title: `Small messages (32 B text echo, ${MESSAGE_CONNS} WebSockets, 1 in flight each)`, unit: 'msg/s', run: messages },
];

const results = {};
for (const workload of WORKLOADS) {
  results[workload.id] = Object.fromEntries(TRANSPORTS.map((t) => [t.id, []]));
  for (let round = 1; round <= MODE.rounds; round++) {
    for (const transport of TRANSPORTS) {
      const server = await startServer();
      try {
        const r = await workload.run(server, transport.http2);
        results[workload.id][transport.id].push(r);
        process.stderr.write(`http2 bench ${workload.id} round ${round} ${transport.id}: ${Math.round(r.opsPerSec)} ${workload.unit}, ${r.serverCpuPerMillion?.toFixed(2)} server CPU-s/1M\n`);
      } finally {
        await server.stop();
      }
    }
  }
}

if (args.json) {
  process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
} else {
  let md = `\n### WebSocket over HTTP/2 (RFC 8441) next to HTTP/1.1\n\n`;
  md += `Same Tandem TLS server and port (bench/servers/tandem-tls-echo.mjs), same client (Tandem's Node WebSocket, \`http2\` option on or off), median of ${MODE.rounds} round(s) of ${MODE.measureMs} ms; server CPU from /proc. \`node bench/http2.mjs\`.\n\n`;
  for (const workload of WORKLOADS) {
    md += `**${workload.title}**\n\n| transport | ${workload.unit} | server CPU-s per 1M | server CPU |\n|---|---:|---:|---:|\n`;
    for (const t of TRANSPORTS) {
      const rs = results[workload.id][t.id];
      md += `| ${t.label} | ${Math.round(median(rs.map((r) => r.opsPerSec))).toLocaleString('en-US')} | ${median(rs.map((r) => r.serverCpuPerMillion ?? NaN)).toFixed(2)} | ${Math.round(median(rs.map((r) => r.serverCpuPct)))}% |\n`;
    }
    md += '\n';
  }
  process.stdout.write(md);
}

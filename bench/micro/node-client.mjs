/**
 * The Node client's cost: CPU time of the CLIENT process per echoed message, Tandem's Node
 * WebSocket (dist/client-node.js, the engine in the client role: masking, parsing) against the
 * `ws` client (with its native helpers when they load), both talking to the same ws echo server
 * in its own process. Each measurement runs in a fresh client process so one implementation's
 * JIT state cannot help the other's; rounds alternate the two and the median is reported.
 *
 * Usage: node bench/micro/node-client.mjs [--quick]     (run by bench/run.mjs with the micro-benchmarks)
 *        node bench/micro/node-client.mjs --child <impl> <port> <size> <text> <conns> <inflight> <warmupMs> <measureMs>
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { emit, QUICK } from './measure.mjs';

const SELF = fileURLToPath(import.meta.url);
const ROOT = new URL('../../', import.meta.url);
const CLIENT = new URL('dist/client-node.js', ROOT);
const SHAPES = [
  { name: '32 B text echo (16 conns × 16 in flight)', size: 32, text: true, conns: 16, inflight: 16 },
  { name: '64 KiB binary echo (4 conns × 4 in flight)', size: 64 * 1024, text: false, conns: 4, inflight: 4 },
];
const IMPLS = [
  { id: 'tandem', label: 'Tandem Node WebSocket' },
  { id: 'ws', label: 'ws client' },
];
const ROUNDS = QUICK ? 2 : 5;
const WARMUP_MS = QUICK ? 300 : 1000;
const MEASURE_MS = QUICK ? 700 : 2500;

if (process.argv[2] === '--child') await child(process.argv.slice(3));
else await parent();

async function parent() {
  if (!existsSync(CLIENT)) {
    for (const shape of SHAPES) emit({ bench: `node client: ${shape.name}`, impl: IMPLS[0].label, value: null, unit: '', note: 'not available (run npm run build)' });
    return;
  }
  const server = spawn(process.execPath, [fileURLToPath(new URL('bench/servers/ws-echo.mjs', ROOT)), '--port', '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    const port = await new Promise((resolve, reject) => {
      let out = '';
      server.stdout.on('data', (c) => {
        out += c;
        const m = /listening (\d+)/.exec(out);
        if (m) resolve(Number(m[1]));
      });
      server.once('exit', (code) => reject(new Error(`echo server exited with ${code}`)));
    });
    for (const shape of SHAPES) {
      const perMessage = Object.fromEntries(IMPLS.map((i) => [i.id, []]));
      for (let round = 0; round < ROUNDS; round++) {
        for (const impl of IMPLS) perMessage[impl.id].push(measure(impl.id, port, shape));
      }
      for (const impl of IMPLS) {
        const values = perMessage[impl.id].filter((v) => v !== null).sort((a, b) => a - b);
        emit({ bench: `node client CPU: ${shape.name}`, impl: impl.label, value: values.length === 0 ? null : values[Math.floor(values.length / 2)], unit: 'µs CPU/msg', note: values.length === 0 ? 'failed' : undefined });
      }
    }
  } finally {
    server.kill('SIGTERM');
  }
}

/** One measurement in a fresh process: client CPU microseconds per echoed message, or null. */
function measure(impl, port, shape) {
  const args = [SELF, '--child', impl, port, shape.size, shape.text, shape.conns, shape.inflight, WARMUP_MS, MEASURE_MS].map(String);
  const run = spawnSync(process.execPath, args, { encoding: 'utf8', timeout: 60_000 });
  if (run.status !== 0) return null;
  const { messages, cpuMicros } = JSON.parse(run.stdout);
  return messages > 0 ? cpuMicros / messages : null;
}

async function child([impl, port, size, text, conns, inflight, warmupMs, measureMs]) {
  const url = `ws://127.0.0.1:${port}/`;
  const payload = text === 'true' ? 'x'.repeat(Number(size)) : Buffer.alloc(Number(size), 7);
  let count = 0;
  const open = [];
  if (impl === 'tandem') {
    const { WebSocket } = await import(CLIENT.href);
    for (let i = 0; i < Number(conns); i++) {
      const ws = new WebSocket(url, [], { perMessageDeflate: false });
      ws.binaryType = 'nodebuffer';
      ws.addEventListener('message', () => {
        count++;
        ws.send(payload);
      });
      open.push(new Promise((resolve) => ws.addEventListener('open', () => resolve(ws))));
    }
  } else {
    const { WebSocket } = await import('ws');
    for (let i = 0; i < Number(conns); i++) {
      const ws = new WebSocket(url, { perMessageDeflate: false });
      ws.on('message', () => {
        count++;
        ws.send(payload);
      });
      open.push(new Promise((resolve) => ws.once('open', () => resolve(ws))));
    }
  }
  for (const ws of await Promise.all(open)) for (let i = 0; i < Number(inflight); i++) ws.send(payload);
  await new Promise((r) => setTimeout(r, Number(warmupMs)));
  const cpu = process.cpuUsage();
  const start = count;
  await new Promise((r) => setTimeout(r, Number(measureMs)));
  const used = process.cpuUsage(cpu);
  process.stdout.write(JSON.stringify({ messages: count - start, cpuMicros: used.user + used.system }));
  process.exit(0);
}

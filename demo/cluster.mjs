// `npm run start:cluster`: the demo chat on two nodes (ports 8080 and 8081, or PORT and PORT+1)
// sharing rooms and presence through a local redis-server that this script starts on a free port
// (or REDIS_URL, if you have one running). Open one tab on each port, same room, and chat.
import { spawn, spawnSync } from 'node:child_process';
import { createServer } from 'node:net';

const base = Number(process.env.PORT ?? 8080);
const children = [];

function freePort() {
  return new Promise((resolve) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
}

async function startRedis() {
  if (spawnSync('redis-server', ['--version']).status !== 0) {
    console.error('start:cluster needs redis-server. Install it with:  apt-get install -y redis-server  (or brew install redis),\nor point REDIS_URL at a running Redis.');
    process.exit(1);
  }
  const port = await freePort();
  const redis = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(redis);
  await new Promise((resolve, reject) => {
    let out = '';
    redis.stdout.on('data', (d) => {
      out += d;
      if (out.includes('Ready to accept connections')) resolve();
    });
    redis.once('exit', (code) => reject(new Error(`redis-server exited ${code}`)));
  });
  redis.stdout.resume();
  console.log(`redis-server on 127.0.0.1:${port} (in memory, gone when this stops)`);
  return `redis://127.0.0.1:${port}`;
}

const url = process.env.REDIS_URL ?? (await startRedis());
for (const port of [base, base + 1]) {
  const node = spawn(process.execPath, [new URL('./server.mjs', import.meta.url).pathname], { stdio: 'inherit', env: { ...process.env, PORT: String(port), REDIS_URL: url } });
  children.push(node);
}
const nodes = `?nodes=${base},${base + 1}`;
console.log(`two nodes: http://localhost:${base}/${nodes} and http://localhost:${base + 1}/${nodes} — same room on both, one chat`);
console.log(`kill one node (kill -9 <pid>: ${children.slice(-2).map((c) => c.pid).join(', ')}): its tab moves to the other and resumes, no line lost`);

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => {
    // The nodes first (they say goodbye to Redis), then Redis.
    const [redis, ...nodes] = process.env.REDIS_URL ? [undefined, ...children] : children;
    for (const node of nodes) node.kill('SIGTERM');
    setTimeout(() => {
      redis?.kill('SIGTERM');
      process.exit(0);
    }, 2500).unref();
  });
}

#!/usr/bin/env node
/**
 * What an idle connection holds on the server's heap: heap snapshots of a server before and after
 * N idle connections (after two full GCs each), diffed by object kind, per connection.
 *
 *   node bench/heap-diff.mjs [--server tandem|ws] [--conns 1000] [--top 30]
 *
 * Memory, not CPU, so it is meaningful on a busy machine. Needs dist/ (npm run build).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import { KeyPool } from './wire.mjs';
import { openMany } from './load/timeline.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const SERVERS = {
  tandem: ['bin/tandem.mjs', 'echo', '--port', '0', '--host', '127.0.0.1'],
  ws: ['bench/servers/ws-echo.mjs', '--port', '0'],
};
const { values } = parseArgs({ options: { server: { type: 'string', default: 'tandem' }, conns: { type: 'string', default: '1000' }, top: { type: 'string', default: '30' } } });
const conns = Number(values.conns);
const dir = mkdtempSync(join(tmpdir(), 'heap-diff-'));
const child = spawn(process.execPath, ['--expose-gc', '--require', './bench/servers/heap-probe.cjs', ...SERVERS[values.server]], {
  cwd: ROOT,
  env: { ...process.env, HEAP_PROBE_DIR: dir },
  stdio: ['ignore', 'pipe', 'pipe'],
});
let stderr = '';
const snapshots = [];
child.stderr.on('data', (d) => {
  stderr += d;
  for (const m of stderr.matchAll(/^snapshot (.+)$/gm)) if (!snapshots.includes(m[1])) snapshots.push(m[1]);
});
const port = await new Promise((resolve, reject) => {
  let out = '';
  child.stdout.on('data', (d) => {
    out += d;
    const m = /listening (\d+)/.exec(out);
    if (m) resolve(Number(m[1]));
  });
  child.once('exit', (code) => reject(new Error(`server exited ${code}: ${stderr}`)));
});

async function snapshot() {
  const want = snapshots.length + 1;
  child.kill('SIGUSR2');
  while (snapshots.length < want) await sleep(100);
  return aggregate(JSON.parse(readFileSync(snapshots[want - 1], 'utf8')));
}

/** Count and self size per `type:name` (a constructor, closure name, string, code…). */
function aggregate(snap) {
  const fields = snap.snapshot.meta.node_fields;
  const types = snap.snapshot.meta.node_types[0];
  const width = fields.length;
  const [iType, iName, iSize] = ['type', 'name', 'self_size'].map((f) => fields.indexOf(f));
  const out = new Map();
  for (let i = 0; i < snap.nodes.length; i += width) {
    const type = types[snap.nodes[i + iType]];
    const name = type === 'string' || type === 'concatenated string' || type === 'sliced string' ? '(strings)' : snap.strings[snap.nodes[i + iName]];
    const key = `${type}:${name.length > 60 ? `${name.slice(0, 57)}...` : name}`;
    const entry = out.get(key) ?? { count: 0, bytes: 0 };
    entry.count++;
    entry.bytes += snap.nodes[i + iSize];
    out.set(key, entry);
  }
  return out;
}

try {
  // Warm the code paths first (as the idle workload does), so the diff is connections, not JIT.
  const keys = new KeyPool();
  const target = { host: '127.0.0.1', port, protocol: 'ws' };
  const warm = await openMany(target, keys, 50, 50);
  for (const c of warm) c.socket.destroy();
  await sleep(500);
  const before = await snapshot();
  const opened = await openMany(target, keys, conns, 100);
  await sleep(500);
  const after = await snapshot();
  const rows = [];
  let total = 0;
  for (const [key, a] of after) {
    const b = before.get(key) ?? { count: 0, bytes: 0 };
    const bytes = a.bytes - b.bytes;
    total += bytes;
    if (Math.abs(bytes) >= conns * 4) rows.push({ key, perConn: (a.count - b.count) / conns, bytesPerConn: bytes / conns });
  }
  rows.sort((x, y) => y.bytesPerConn - x.bytesPerConn);
  process.stdout.write(`${values.server}: live heap +${(total / conns).toFixed(0)} B per connection over ${conns} idle connections\n`);
  process.stdout.write('objects/conn  bytes/conn  kind\n');
  for (const r of rows.slice(0, Number(values.top))) process.stdout.write(`${r.perConn.toFixed(2).padStart(12)}  ${r.bytesPerConn.toFixed(0).padStart(10)}  ${r.key}\n`);
  for (const c of opened) c.socket.destroy();
} finally {
  child.kill('SIGKILL');
  if (process.env.HEAP_DIFF_KEEP) process.stdout.write(`snapshots kept in ${dir}\n`);
  else rmSync(dir, { recursive: true, force: true });
}

/**
 * The benchmark suite: Tandem's echo server against ws (with its native helpers) and a raw TCP
 * echo, in one run, servers alternated within every round so machine drift cancels; then the
 * micro-benchmarks, cross-node fan-out (bench/cluster-fanout.mjs) and WebSocket over HTTP/2
 * (bench/http2.mjs); then docs/performance.md is regenerated.
 *
 * Usage: node bench/run.mjs [--quick] [--servers tandem,ws,raw] [--workloads id,id] [--no-micro]
 *        [--out docs/performance.md] [--no-cluster] [--no-resume]   (`npm run bench` builds dist/ first)
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import { parseArgs } from 'node:util';
import { openFilesLimit } from './proc-stat.mjs';
import { MARKERS, renderResults, writePerformanceDoc } from './report.mjs';
import { runLoad, SERVERS, startServer, tandemMissing } from './server-process.mjs';
import { IDLE_CONNS, jobFor, MODES, timeoutFor, WORKLOADS } from './workloads.mjs';

const ROOT = new URL('..', import.meta.url);
const MICRO = ['frame-parser', 'mask', 'utf8', 'frame-writer', 'node-client'];
const REEXEC_FLAG = 'TANDEM_BENCH_RAISED_NOFILE';
/** Descriptors each side needs beyond the idle connections themselves. */
const FD_HEADROOM = 256;

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    servers: { type: 'string' },
    workloads: { type: 'string' },
    'no-micro': { type: 'boolean', default: false },
    'no-cluster': { type: 'boolean', default: false },
    'no-resume': { type: 'boolean', default: false },
    out: { type: 'string', default: 'docs/performance.md' },
  },
});

raiseOpenFileLimit();
const modeName = args.quick ? 'quick' : 'full';
const mode = MODES[modeName];
const log = (line) => process.stderr.write(`${line}\n`);

const servers = await checkServers(SERVERS.filter((s) => !args.servers || args.servers.split(',').includes(s.id)));
const workloads = WORKLOADS.filter((w) => !args.workloads || args.workloads.split(',').includes(w.id));
const started = Date.now();
const run = { meta: machine(), servers, workloads: [], micro: null };
for (const workload of workloads) run.workloads.push(await measureWorkload(workload));
if (!args['no-micro']) run.micro = runMicro();
run.meta.durationSec = Math.round((Date.now() - started) / 1000);

mkdirSync(new URL('bench/results/', ROOT), { recursive: true });
const stamp = run.meta.date.replace(/[:.]/g, '-');
writeFileSync(new URL(`bench/results/${stamp}-${modeName}.json`, ROOT), JSON.stringify(run, null, 2));
// Cross-node fan-out through Redis (issue 11): its own script, its own redis-server and nodes.
const cluster = args['no-cluster'] ? '' : spawnSync(process.execPath, ['bench/cluster-fanout.mjs', ...(args.quick ? ['--rounds', '1', '--measure', '1500'] : ['--rounds', '3'])], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).stdout;
// WebSocket over HTTP/2 next to HTTP/1.1 (issue 15): its own script and TLS server process.
const http2 = spawnSync(process.execPath, ['bench/http2.mjs', ...(args.quick ? ['--quick'] : [])], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).stdout;
// The cost of session resume on the typed layer (issue 10): its own script, resume on vs off.
const resume = args['no-resume'] ? '' : spawnSync(process.execPath, ['bench/resume-cost.mjs', ...(args.quick ? ['--quick'] : [])], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).stdout;
const markdown = renderResults(run) + (resume ?? '') + (cluster ?? '') + (http2 ?? '');
writePerformanceDoc(new URL(args.out, ROOT), markdown, skeleton);
process.stdout.write(`${markdown}\n`);
log(`done in ${run.meta.durationSec} s; wrote ${args.out} and bench/results/${stamp}-${modeName}.json`);

/**
 * 5,000 idle connections need 5,000 descriptors in the server and in the load generator. If the
 * soft limit is too low, re-run this script under a shell that raises it to the hard limit.
 */
function raiseOpenFileLimit() {
  if (openFilesLimit('self') >= IDLE_CONNS + FD_HEADROOM || process.env[REEXEC_FLAG]) return;
  const script = 'ulimit -n "$(ulimit -Hn)" 2>/dev/null; exec "$@"';
  const child = spawnSync('/bin/sh', ['-c', script, 'sh', process.execPath, ...process.argv.slice(1)], {
    stdio: 'inherit',
    env: { ...process.env, [REEXEC_FLAG]: '1' },
  });
  process.exit(child.status ?? 1);
}

/** Mark each server available or not; Tandem must start and pass a verified echo first. */
async function checkServers(list) {
  const checked = [];
  for (const server of list) {
    const missing = server.id === 'tandem' ? tandemMissing() : null;
    const reason = missing ?? (await probe(server));
    checked.push({ ...server, available: reason === null, reason });
    log(`${server.label}: ${reason === null ? 'available' : `not available (${reason})`}`);
  }
  return checked;
}

async function probe(server) {
  const shapes = [{ size: 32, text: true }, { size: 70_000, text: false }];
  let handle;
  try {
    handle = await startServer(server);
    for (const shape of shapes) {
      const target = { host: '127.0.0.1', port: handle.port, protocol: server.protocol };
      const job = { kind: 'echo', target, serverPid: handle.pid, conns: 2, inflight: 2, warmupMs: 50, measureMs: 100, ...shape };
      await runLoad(job, 20_000);
    }
    return null;
  } catch (err) {
    return `failed its smoke check: ${err.message}`;
  } finally {
    await handle?.stop();
  }
}

/** All rounds of one workload: in each round every available server, each in a fresh process. */
async function measureWorkload(workload) {
  if (workload.kind === 'pending') return { ...workload };
  const rounds = workload.kind === 'idle' ? mode.idleRounds : mode.rounds;
  // A workload with its own command lines (`argv`) runs only the servers it names.
  const measured = servers.filter((s) => s.available && (!workload.argv || workload.argv[s.id]));
  const samples = Object.fromEntries(measured.map((s) => [s.id, []]));
  for (let round = 1; round <= rounds; round++) {
    for (const server of measured) {
      samples[server.id].push(await measureOnce(workload, server, round));
    }
  }
  return { ...workload, samples };
}

async function measureOnce(workload, server, round) {
  let handle;
  try {
    const argv = workload.argv?.[server.id] ?? server.argv;
    // Idle memory is read after forced GCs: every server gets the same preloaded hook (no code change).
    const gcHook = workload.kind === 'idle' ? ['--expose-gc', '--require', './bench/servers/gc-hook.cjs'] : [];
    handle = await startServer({ ...server, argv: [...gcHook, ...argv] });
    const target = { host: '127.0.0.1', port: handle.port, protocol: server.protocol };
    const job = jobFor(workload, mode, target, handle.pid);
    const result = await runLoad(job, timeoutFor(job));
    log(`${workload.id} round ${round} ${server.id}: ${headline(result)}`);
    return { round, ok: true, result };
  } catch (err) {
    log(`${workload.id} round ${round} ${server.id}: FAILED ${err.message}`);
    return { round, ok: false, error: err.message };
  } finally {
    await handle?.stop();
  }
}

function headline(r) {
  if (r.bytesPerConn !== undefined) {
    const marginal = r.marginalBytesPerConn === null ? '' : `, marginal ${(r.marginalBytesPerConn / 1024).toFixed(2)} KiB/conn up to ${r.conns}`;
    return `${(r.bytesPerConn / 1024).toFixed(2)} KiB/conn at ${r.comparedAt}${marginal}`;
  }
  return `${Math.round(r.opsPerSec)}/s, ${r.serverCpuPerMillion?.toFixed(2)} CPU-s/1M, server ${r.serverCpuPct.toFixed(0)}%, loadgen ${r.loadgenCpuPct.toFixed(0)}%`;
}

/** Each micro-benchmark in its own process; a crash becomes a line, not a failed run. */
function runMicro() {
  const lines = [];
  for (const name of MICRO) {
    const file = new URL(`bench/micro/${name}.mjs`, ROOT);
    const child = spawnSync(process.execPath, [file.pathname, ...(args.quick ? ['--quick'] : [])], { encoding: 'utf8', timeout: 120_000 });
    for (const line of child.stdout.split('\n').filter(Boolean)) lines.push(JSON.parse(line));
    if (child.status !== 0) {
      lines.push({ bench: name, impl: '–', value: null, unit: '', note: `failed: ${(child.stderr || String(child.error)).trim().split('\n')[0]}` });
    }
    log(`micro ${name}: ${child.status === 0 ? 'ok' : 'FAILED'}`);
  }
  return lines;
}

function machine() {
  const require = createRequire(import.meta.url);
  const native = (name) => (String(require(name).mask ?? require(name)).includes('[native code]') ? 'native prebuild loaded' : 'JS fallback');
  const cpuModel = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? os.cpus()[0]?.model;
  return {
    date: new Date().toISOString(),
    command: args.quick ? 'node bench/run.mjs --quick' : 'npm run bench',
    mode: modeName,
    rounds: mode.rounds,
    idleRounds: mode.idleRounds,
    nproc: execFileSync('nproc', { encoding: 'utf8' }).trim(),
    cpuModel,
    memGiB: Math.round(os.totalmem() / 2 ** 30),
    kernel: os.release(),
    node: process.version,
    wsVersion: require('ws/package.json').version,
    nativeHelpers: `bufferutil: ${native('bufferutil')}, utf-8-validate: ${native('utf-8-validate')} (ws on Node ≥ 18.14 validates UTF-8 with node:buffer isUtf8 instead)`,
    openFiles: openFilesLimit('self'),
  };
}

function skeleton() {
  return `# Performance\n\nRegenerate with \`npm run bench\` (or \`node bench/run.mjs --quick\`).\n\n## Results\n\n${MARKERS.START}\n${MARKERS.END}\n`;
}

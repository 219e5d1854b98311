/**
 * The cost of session resume on the typed layer (issue 10): the same server
 * (bench/servers/tandem-typed.mjs) with resume on (the default) and with `createServer({ resume:
 * false })`, under the same load (bench/load/typed-clients.mjs: Tandem's Node client, which asks
 * for resume; the server decides). Each measurement starts a fresh server process; within every
 * round both modes run, in alternating order (on/off, then off/on), so drift of the machine lands
 * on both. Reported, median (min–max) over rounds:
 * - typed echo (requests answered) and fan-out (broadcast deliveries): ops/s and server
 *   CPU-seconds per million operations, and the on/off ratio of the same round;
 * - memory per session: heap after two full GCs, minus the heap before any client, divided by the
 *   sessions: live (resume off and on), suspended (the clients' process SIGKILLed), and suspended
 *   with 10 broadcasts logged in each session.
 *
 * Usage: node bench/resume-cost.mjs [--quick] [--rounds 3] [--sessions 2000] [--json]
 * (bench/run.mjs runs it after the other workloads; needs a built dist/).
 */
import { fork, spawn } from 'node:child_process';
import { parseArgs } from 'node:util';
import { runTypedEcho, runTypedFanout } from './load/typed-clients.mjs';
import { formatRatio, formatSpread, spread } from './summary.mjs';

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    rounds: { type: 'string' },
    sessions: { type: 'string' },
    json: { type: 'boolean', default: false },
  },
});
const QUICK = { rounds: 2, warmupMs: 300, measureMs: 1000, peers: 200, sessions: 500 };
const FULL = { rounds: 3, warmupMs: 1000, measureMs: 2500, peers: 1000, sessions: 2000 };
const base = args.quick ? QUICK : FULL;
const cfg = { ...base, rounds: Number(args.rounds ?? base.rounds), sessions: Number(args.sessions ?? base.sessions) };
const WORKLOADS = [
  { id: 'echo', title: 'typed echo: `request(\'echo\', p)` answered with p, ~100 B payload (64 clients × 16 in flight)', unit: 'requests', run: (s) => runTypedEcho({ ...s, conns: 64, inflight: 16 }), clients: 64 },
  { id: 'fanout', title: `fan-out: a ~120 B \`tick\` to ${cfg.peers} peers via \`server.emit\` (32 broadcasts in flight)`, unit: 'deliveries', run: (s) => runTypedFanout({ ...s, peers: cfg.peers, inflight: 32 }), clients: cfg.peers },
];
const LOGGED = 10;
const KIB = 1024;
const ROOT = new URL('..', import.meta.url);
const log = (line) => process.stderr.write(`${line}\n`);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** The typed server in its own process, with an IPC channel for heap readings. */
function startServer(resume) {
  const child = fork(new URL('servers/tandem-typed.mjs', import.meta.url), ['--resume', resume], { cwd: ROOT, execArgv: ['--expose-gc'], stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
  let out = '';
  child.stderr.on('data', (d) => (out += d));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`tandem-typed did not start: ${out}`)), 15_000);
    child.stdout.on('data', (d) => {
      out += d;
      const match = /^listening (\d+)$/m.exec(out);
      if (!match) return;
      clearTimeout(timer);
      child.stdout.resume();
      const ask = (message) => new Promise((answer) => (child.once('message', answer), child.send(message)));
      resolve({ port: Number(match[1]), pid: child.pid, ask, stop: () => child.kill('SIGKILL') });
    });
    child.once('exit', (code) => reject(new Error(`tandem-typed exited ${code}: ${out.slice(-400)}`)));
  });
}

/** Order of the two modes in `round`: on/off, then off/on. */
const modesOf = (round) => (round % 2 === 1 ? ['on', 'off'] : ['off', 'on']);

/** One workload in one mode; the server's session counts prove the mode (and that no log overflowed). */
async function measureCpu(workload, resume) {
  const server = await startServer(resume);
  try {
    const result = await workload.run({ port: server.port, serverPid: server.pid, warmupMs: cfg.warmupMs, measureMs: cfg.measureMs, onMeasured: server.ask.bind(null, { cmd: 'heap' }) });
    const { sessions } = result.measured;
    const expected = resume === 'on' ? workload.clients : 0;
    if (sessions.live !== expected || sessions.overflowed !== 0) throw new Error(`resume ${resume}: ${sessions.live} resumable sessions (expected ${expected}), ${sessions.overflowed} overflowed`);
    return result;
  } finally {
    server.stop();
  }
}

/** Heap per session: live, then (resume on) suspended, then suspended with LOGGED broadcasts each. */
async function measureMemory(resume) {
  const server = await startServer(resume);
  let holder;
  try {
    const before = await server.ask({ cmd: 'heap' });
    holder = spawn(process.execPath, ['bench/load/typed-clients.mjs', 'hold', String(server.port), String(cfg.sessions)], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise((resolve, reject) => {
      holder.stdout.on('data', (d) => String(d).includes('ready') && resolve());
      holder.once('exit', (code) => reject(new Error(`the session holder exited ${code}`)));
    });
    const per = (reading) => (reading.heapUsed - before.heapUsed) / cfg.sessions / KIB;
    const live = await server.ask({ cmd: 'heap' });
    const result = { live: per(live) };
    if (resume === 'off') return result;
    holder.kill('SIGKILL');
    let suspended = live;
    for (let i = 0; i < 100 && suspended.suspended < cfg.sessions; i++) {
      await sleep(100);
      suspended = await server.ask({ cmd: 'heap' });
    }
    if (suspended.suspended !== cfg.sessions) throw new Error(`${suspended.suspended} of ${cfg.sessions} sessions suspended`);
    const logged = await server.ask({ cmd: 'broadcast', count: LOGGED, payload: { text: 'the quick brown fox jumps over the lazy dog while the crowd keeps talking' } });
    if (logged.suspended !== cfg.sessions) throw new Error(`${logged.suspended} sessions still suspended after ${LOGGED} broadcasts`);
    return { ...result, suspended: per(suspended), logged: per(logged), logBytes: logged.sessions.logBytes };
  } finally {
    holder?.kill('SIGKILL');
    server.stop();
  }
}

const cpu = Object.fromEntries(WORKLOADS.map((w) => [w.id, []]));
const memory = [];
for (let round = 1; round <= cfg.rounds; round++) {
  for (const workload of WORKLOADS) {
    for (const resume of modesOf(round)) {
      const r = await measureCpu(workload, resume);
      cpu[workload.id].push({ round, resume, ...r });
      log(`resume-cost round ${round} ${workload.id} resume ${resume}: ${Math.round(r.opsPerSec)} ${workload.unit}/s, ${r.serverCpuPerMillion?.toFixed(2)} CPU-s/1M, server ${r.serverCpuPct.toFixed(0)}%, loadgen ${r.loadgenCpuPct.toFixed(0)}%`);
    }
  }
  for (const resume of modesOf(round)) {
    const m = await measureMemory(resume);
    memory.push({ round, resume, ...m });
    log(`resume-cost round ${round} memory resume ${resume}: ${Object.entries(m).map(([k, v]) => `${k} ${k === 'logBytes' ? v : v.toFixed(2)}`).join(', ')}`);
  }
}

const of = (rows, resume, f) => spread(rows.filter((r) => r.resume === resume).map(f));
/** On/off ratio of the same round. */
const ratio = (rows, f) => spread(rows.filter((r) => r.resume === 'on').map((on) => f(on) / f(rows.find((off) => off.resume === 'off' && off.round === on.round))));
const summary = WORKLOADS.map((w) => ({
  id: w.id,
  rate: { on: of(cpu[w.id], 'on', (r) => r.opsPerSec), off: of(cpu[w.id], 'off', (r) => r.opsPerSec) },
  cpu: { on: of(cpu[w.id], 'on', (r) => r.serverCpuPerMillion), off: of(cpu[w.id], 'off', (r) => r.serverCpuPerMillion) },
  cpuRatio: ratio(cpu[w.id], (r) => r.serverCpuPerMillion),
}));
const mem = {
  liveOff: of(memory, 'off', (r) => r.live),
  liveOn: of(memory, 'on', (r) => r.live),
  suspended: of(memory, 'on', (r) => r.suspended),
  logged: of(memory, 'on', (r) => r.logged),
};

if (args.json) process.stdout.write(`${JSON.stringify({ cfg, cpu, memory, summary, mem })}\n`);
else process.stdout.write(render());

function render() {
  const kib = (s) => formatSpread(s);
  const out = [
    '',
    `### Session resume: its cost on the typed layer (resume on vs \`resume: false\`, ${cfg.rounds} rounds)`,
    '',
    'bench/resume-cost.mjs: the same typed server (bench/servers/tandem-typed.mjs) with resume on and off, fresh per measurement, the two modes alternated within every round; the load is Tandem\'s own Node client (resume on, real acks). × off is the on/off ratio of the same round (target: CPU ≤ 1.10×).',
    '',
    '| Workload | resume | ops/s | server CPU-s / 1M ops | × off |',
    '|---|---|---|---|---|',
  ];
  for (const w of WORKLOADS) {
    const s = summary.find((x) => x.id === w.id);
    out.push(`| ${w.title} | on | ${formatSpread(s.rate.on)} | ${formatSpread(s.cpu.on)} | ${formatRatio(s.cpuRatio)} |`);
    out.push(`| | off | ${formatSpread(s.rate.off)} | ${formatSpread(s.cpu.off)} | |`);
  }
  out.push(
    '',
    `**Memory per session** (${cfg.sessions} sessions; heap after two full GCs minus the heap before any client, / ${cfg.sessions}; the clients' process is SIGKILLed to suspend them; then ${LOGGED} broadcasts of ~120 B are logged in every suspended session):`,
    '',
    '| Session | KiB per session |',
    '|---|---|',
    `| live, resume off | ${kib(mem.liveOff)} |`,
    `| live, resume on | ${kib(mem.liveOn)} |`,
    `| suspended | ${kib(mem.suspended)} |`,
    `| suspended, ${LOGGED} broadcasts logged | ${kib(mem.logged)} |`,
    '',
  );
  return out.join('\n');
}

/**
 * The workloads of the suite (issue 6), with their shapes and their timing per mode.
 *
 * `--quick` is a smoke check (about a minute); the full run must stay well under 10 minutes on
 * a 2-core machine, so rounds and windows are sized for that.
 */

/** Rounds and windows per mode. Every round measures every server once per workload. */
export const MODES = Object.freeze({
  quick: { rounds: 2, idleRounds: 1, echoWarmupMs: 300, echoMeasureMs: 700, handshakeWarmupMs: 200, handshakeMeasureMs: 800, idleSettleMs: 300 },
  // Idle: 5 rounds, 1.5 s after every forced GC; handshakes: 1 s of warm-up (JIT), 3 s windows.
  full: { rounds: 5, idleRounds: 5, echoWarmupMs: 1000, echoMeasureMs: 2500, handshakeWarmupMs: 1000, handshakeMeasureMs: 3000, idleSettleMs: 1500 },
});

/** Idle connections held open at once; each process needs this many file descriptors and more. */
export const IDLE_CONNS = 5000;
/** Where the idle workload reads RSS on its way to IDLE_CONNS (3,000: the outside measurement's N). */
export const IDLE_STEPS = Object.freeze([1000, 3000]);
/** Offered load of the paced handshake workload: below every server's saturation on 2 cores. */
export const PACED_HANDSHAKES_PER_SEC = 2000;

/**
 * @typedef {{ id: string, title: string, kind: 'echo' | 'idle' | 'handshake' | 'fanout' | 'deflate' | 'pending',
 *   params?: object, pending?: string, argv?: Record<string, string[]> }} Workload
 * `argv`, when present, replaces each listed server's command line for this workload (its own
 * bench server, or a flag) and limits the workload to those servers.
 */

/** @type {ReadonlyArray<Workload>} */
export const WORKLOADS = Object.freeze([
  { id: 'echo-32-text', title: '32 B text echo (64 conns × 16 in flight)', kind: 'echo', params: { size: 32, text: true, conns: 64, inflight: 16 } },
  { id: 'echo-1k-binary', title: '1 KiB binary echo (64 × 16)', kind: 'echo', params: { size: 1024, text: false, conns: 64, inflight: 16 } },
  { id: 'echo-64k-binary', title: '64 KiB binary echo (8 × 4)', kind: 'echo', params: { size: 64 * 1024, text: false, conns: 8, inflight: 4 } },
  { id: 'echo-1m-binary', title: '1 MiB binary echo (2 × 2)', kind: 'echo', params: { size: 1024 * 1024, text: false, conns: 2, inflight: 2 } },
  { id: 'idle', title: `${IDLE_CONNS} idle connections`, kind: 'idle', params: { conns: IDLE_CONNS, steps: IDLE_STEPS } },
  { id: 'handshakes', title: 'handshakes (connect, upgrade, one echo, close; 16 at a time)', kind: 'handshake', params: { concurrency: 16 } },
  {
    id: 'handshakes-paced',
    title: `handshakes at a fixed ${PACED_HANDSHAKES_PER_SEC.toLocaleString('en-US')}/s (same life, 16 at most at a time)`,
    kind: 'handshake',
    params: { concurrency: 16, rate: PACED_HANDSHAKES_PER_SEC },
  },
  {
    id: 'fanout',
    title: 'broadcast fan-out: a 128 B event to 1,000 peers (typed layer, 32 broadcasts in flight)',
    kind: 'fanout',
    params: { peers: 1000, inflight: 32, size: 128 },
    argv: {
      tandem: ['bench/servers/tandem-fanout.mjs', '--port', '0', '--host', '127.0.0.1'],
      ws: ['bench/servers/ws-fanout.mjs', '--port', '0', '--host', '127.0.0.1'],
    },
  },
  {
    id: 'deflate-1k-json',
    title: 'permessage-deflate: 1,100 B JSON text echo (64 conns × 16 in flight)',
    kind: 'deflate',
    params: { size: 1100, conns: 64, inflight: 16, distinct: 64 },
    argv: {
      tandem: ['bin/tandem.mjs', 'echo', '--port', '0', '--host', '127.0.0.1', '--deflate'],
      ws: ['bench/servers/ws-echo.mjs', '--port', '0', '--host', '127.0.0.1', '--deflate'],
    },
  },
]);

/**
 * The load-generator job for one measurement.
 * @param {Workload} workload
 * @param {(typeof MODES)[keyof typeof MODES]} mode
 * @param {{ host: string, port: number, protocol: 'ws' | 'raw' }} target
 * @param {number} serverPid
 */
export function jobFor(workload, mode, target, serverPid) {
  const base = { target, serverPid, ...workload.params };
  switch (workload.kind) {
    case 'echo':
      return { kind: 'echo', ...base, warmupMs: mode.echoWarmupMs, measureMs: mode.echoMeasureMs };
    case 'idle':
      // The server runs with bench/servers/gc-hook.cjs (run.mjs: `gcHook`), so it can be told to collect.
      return { kind: 'idle', ...base, settleMs: mode.idleSettleMs, gc: true };
    case 'handshake':
      return { kind: 'handshake', ...base, warmupMs: mode.handshakeWarmupMs, measureMs: mode.handshakeMeasureMs };
    case 'fanout':
      return { kind: 'fanout', ...base, warmupMs: mode.echoWarmupMs, measureMs: mode.echoMeasureMs };
    case 'deflate':
      return { kind: 'deflate', ...base, warmupMs: mode.echoWarmupMs, measureMs: mode.echoMeasureMs };
    case 'pending':
      throw new Error(`${workload.id} is not runnable yet`);
    default:
      throw new Error(`unknown workload kind ${workload.kind}`);
  }
}

/** Upper bound on one measurement's wall time, for the watchdog. */
export function timeoutFor(job) {
  return 60_000 + (job.warmupMs ?? 0) + (job.measureMs ?? 0) + 5 * (job.settleMs ?? 0);
}

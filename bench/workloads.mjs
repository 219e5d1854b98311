/**
 * The workloads of the suite (issue 6), with their shapes and their timing per mode.
 *
 * `--quick` is a smoke check (about a minute); the full run must stay well under 10 minutes on
 * a 2-core machine, so rounds and windows are sized for that.
 */

/** Rounds and windows per mode. Every round measures every server once per workload. */
export const MODES = Object.freeze({
  quick: { rounds: 2, idleRounds: 1, echoWarmupMs: 300, echoMeasureMs: 700, handshakeWarmupMs: 200, handshakeMeasureMs: 800, idleSettleMs: 300 },
  full: { rounds: 5, idleRounds: 3, echoWarmupMs: 1000, echoMeasureMs: 2500, handshakeWarmupMs: 500, handshakeMeasureMs: 2000, idleSettleMs: 1000 },
});

/** Idle connections held open at once; each process needs this many file descriptors and more. */
export const IDLE_CONNS = 5000;

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
  { id: 'idle', title: `${IDLE_CONNS} idle connections`, kind: 'idle', params: { conns: IDLE_CONNS } },
  { id: 'handshakes', title: 'handshakes (connect, upgrade, one echo, close; 16 at a time)', kind: 'handshake', params: { concurrency: 16 } },
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
      return { kind: 'idle', ...base, settleMs: mode.idleSettleMs };
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
  return 60_000 + (job.warmupMs ?? 0) + (job.measureMs ?? 0) + 2 * (job.settleMs ?? 0);
}

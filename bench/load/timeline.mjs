/**
 * Shared pieces of the load workloads: measured-window snapshots, failure latching and a
 * bounded-concurrency opener.
 */
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { connect } from '../wire.mjs';
import { cpuTicks, CLK_TCK } from '../proc-stat.mjs';

/**
 * A point on the measured window: wall time, completed operations, server and own CPU ticks.
 * @param {number} serverPid
 * @param {number} done operations completed so far
 */
export function snapshot(serverPid, done) {
  return { t: performance.now(), done, server: cpuTicks(serverPid), self: cpuTicks('self') };
}

/**
 * Figures for the window between two snapshots. CPU is utime+stime of the whole process, so it
 * includes the server's GC and libuv threads; CPU per million operations is the fair figure when
 * the load generator competes for the same two cores.
 * @param {ReturnType<typeof snapshot>} a
 * @param {ReturnType<typeof snapshot>} b
 */
export function windowFigures(a, b) {
  const seconds = (b.t - a.t) / 1000;
  const ops = b.done - a.done;
  const serverCpuSec = (b.server - a.server) / CLK_TCK;
  const loadgenCpuSec = (b.self - a.self) / CLK_TCK;
  return {
    ops,
    seconds,
    opsPerSec: ops / seconds,
    serverCpuSec,
    serverCpuPerMillion: ops > 0 ? serverCpuSec / (ops / 1e6) : null,
    serverCpuPct: (100 * serverCpuSec) / seconds,
    loadgenCpuPct: (100 * loadgenCpuSec) / seconds,
  };
}

/** A latch for the first failure of a run: `promise` rejects with it, `fail` records it. */
export class Failure {
  constructor() {
    /** @type {Error | null} */
    this.error = null;
    this.promise = new Promise((_, reject) => {
      this.reject = reject;
    });
    // Nothing may be left unhandled when the run ends without failing.
    this.promise.catch(() => {});
    this.fail = (err) => {
      if (this.error) return;
      this.error = err instanceof Error ? err : new Error(String(err));
      this.reject(this.error);
    };
  }

  /** Sleep that ends early (rejecting) if the run fails meanwhile. @param {number} ms */
  sleep(ms) {
    return Promise.race([sleep(ms), this.promise]);
  }
}

/**
 * Open `count` connections (TCP + upgrade), at most `concurrency` at a time, in order.
 * @param {{ host: string, port: number, protocol: 'ws' | 'raw' }} target
 * @param {import('../wire.mjs').KeyPool} keys
 * @param {number} count
 * @param {number} concurrency
 * @returns {Promise<Array<{ socket: import('node:net').Socket, head: Buffer }>>}
 */
export async function openMany(target, keys, count, concurrency) {
  const opened = new Array(count);
  let next = 0;
  let failed = false;
  const worker = async () => {
    while (next < count && !failed) {
      const i = next++;
      opened[i] = await connect(target, keys);
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  } catch (err) {
    failed = true;
    for (const c of opened) c?.socket.destroy();
    throw err;
  }
  return opened;
}

/** How long in-flight messages may take to come back once sending stops. */
const DRAIN_TIMEOUT_MS = 20_000;

/** Stop sending and wait until every outstanding message has come back (no drops allowed). */
export function drain(state, failure) {
  state.stopping = true;
  if (state.outstanding === 0) return Promise.resolve();
  const drained = new Promise((resolve) => {
    state.onDrained = resolve;
  });
  const timeout = failure.sleep(DRAIN_TIMEOUT_MS).then(() => {
    throw new Error(`${state.outstanding} messages never came back`);
  });
  return Promise.race([drained, timeout]);
}

/**
 * Timing for the micro-benchmarks: run a function in batches for a minimum time, several
 * rounds, and keep the median rate (a GC pause or a busy neighbour spoils one round, not the figure).
 * Each micro-benchmark runs in its own process so one implementation's JIT state cannot help another's.
 */
import { performance } from 'node:perf_hooks';

/** Whether `--quick` was passed: fewer and shorter rounds. */
export const QUICK = process.argv.includes('--quick');
const ROUNDS = QUICK ? 3 : 7;
const MIN_MS = QUICK ? 60 : 200;

/**
 * @param {() => void} fn one operation
 * @returns {number} operations per second (median of rounds)
 */
export function opsPerSecond(fn) {
  for (let i = 0; i < 50; i++) fn(); // warm-up, so the first round is not the interpreter's
  const rates = [];
  for (let round = 0; round < ROUNDS; round++) {
    let ops = 0;
    let batch = 1;
    const start = performance.now();
    let elapsed = 0;
    while (elapsed < MIN_MS) {
      for (let i = 0; i < batch; i++) fn();
      ops += batch;
      batch *= 2;
      elapsed = performance.now() - start;
    }
    rates.push((ops * 1000) / elapsed);
  }
  rates.sort((a, b) => a - b);
  return rates[Math.floor(rates.length / 2)];
}

/**
 * Print one result line for bench/run.mjs (JSON, one object per line).
 * @param {{ bench: string, impl: string, value: number | null, unit: string, note?: string }} line
 */
export function emit(line) {
  process.stdout.write(`${JSON.stringify(line)}\n`);
}

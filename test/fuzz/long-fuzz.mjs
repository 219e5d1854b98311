#!/usr/bin/env node
/**
 * The long fuzzing run (`npm run fuzz`, after `npm run build`): every target of
 * test/fuzz/harness.mjs mutated from its corpus for `--minutes` (default 10), against the built
 * engine and envelope decoder in dist/, one worker thread per target (the 2-core machine runs
 * them in turn: `--parallel` runs all at once).
 *
 *   node test/fuzz/long-fuzz.mjs [--minutes 10] [--seed N] [--targets frames-server,envelopes] [--no-save] [--parallel]
 *
 * A watchdog in the main thread terminates a worker whose input has not finished in 5 s: a hang.
 * Violations and hangs are saved to the corpus as `crash-*.hex` / `hang-*.hex` (so the CI replay
 * fails until they are fixed) and the run exits 1. Up to 25 new interesting inputs per target
 * (a new outcome shape) are saved as `found-*.hex`: review and commit them.
 */
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { TARGETS, fuzzTarget, toHex } from './harness.mjs';
import { loadCorpus, saveInput } from './corpus.mjs';

const WATCHDOG_MS = 5000;
const MAX_INPUT_BYTES = 8192;
const MAX_SAVED_PER_TARGET = 25;

if (isMainThread) await main();
else await work();

async function main() {
  const arg = (name, fallback) => {
    const i = process.argv.indexOf(`--${name}`);
    return i === -1 ? fallback : process.argv[i + 1];
  };
  const minutes = Number(arg('minutes', '10'));
  const seed = Number(arg('seed', String(Date.now() % 2 ** 31)));
  const targets = arg('targets', TARGETS.join(',')).split(',');
  const save = !process.argv.includes('--no-save');
  for (const t of targets) if (!TARGETS.includes(t)) throw new Error(`unknown target ${t} (known: ${TARGETS.join(', ')})`);
  if (!existsSync(new URL('../../dist/rfc6455.js', import.meta.url))) throw new Error('dist/ is missing: run "npm run build" first');
  const each = (minutes * 60_000) / (process.argv.includes('--parallel') ? 1 : targets.length);
  process.stdout.write(`fuzzing ${targets.join(', ')} for ${minutes} min, seed ${seed}\n`);
  const runs = targets.map((target, i) => () => runWorker(target, seed + i, each, save));
  const results = process.argv.includes('--parallel') ? await Promise.all(runs.map((r) => r())) : await sequence(runs);
  const failed = results.filter((r) => !r.ok);
  process.stdout.write(failed.length === 0 ? 'no violation, no hang\n' : `${failed.length} target(s) failed\n`);
  process.exitCode = failed.length === 0 ? 0 : 1;
}

async function sequence(runs) {
  const out = [];
  for (const run of runs) out.push(await run());
  return out;
}

function runWorker(target, seed, durationMs, save) {
  return new Promise((resolve) => {
    // [0] inputs started, [1] current input length; then the input's bytes (for hang reports).
    const shared = new SharedArrayBuffer(8 + MAX_INPUT_BYTES);
    const counters = new Int32Array(shared, 0, 2);
    const input = new Uint8Array(shared, 8);
    const worker = new Worker(fileURLToPath(import.meta.url), { workerData: { target, seed, durationMs, shared } });
    let saved = 0;
    let last = -1;
    let lastChange = Date.now();
    const watchdog = setInterval(() => {
      const now = Atomics.load(counters, 0);
      if (now !== last) {
        last = now;
        lastChange = Date.now();
        return;
      }
      if (Date.now() - lastChange < WATCHDOG_MS) return;
      clearInterval(watchdog);
      const bytes = input.slice(0, Atomics.load(counters, 1));
      const name = saveInput(target, bytes, 'hang');
      process.stdout.write(`${target}: HANG (no progress for ${WATCHDOG_MS} ms) on ${toHex(bytes).slice(0, 200)} → corpus/${target}/${name}\n`);
      void worker.terminate();
      resolve({ target, ok: false });
    }, 250);
    worker.on('message', (m) => {
      if (m.kind === 'interesting' && save && saved < MAX_SAVED_PER_TARGET) {
        saved++;
        saveInput(target, Uint8Array.from(m.bytes), 'found');
      } else if (m.kind === 'done') {
        clearInterval(watchdog);
        const r = m.result;
        if (r.failure !== null) {
          const name = saveInput(target, Uint8Array.from(Buffer.from(r.failure.hex, 'hex')), 'crash');
          process.stdout.write(`${target}: VIOLATION ${r.failure.violation}\n  input ${r.failure.hex.slice(0, 400)} → corpus/${target}/${name}\n`);
        } else {
          process.stdout.write(`${target}: ${r.iterations} inputs, ${r.signatures} outcome shapes, ${saved} new corpus files\n`);
        }
        resolve({ target, ok: r.failure === null });
      }
    });
    worker.on('error', (err) => {
      clearInterval(watchdog);
      process.stdout.write(`${target}: worker crashed: ${err.stack ?? err}\n`);
      resolve({ target, ok: false });
    });
  });
}

async function work() {
  const { target, seed, durationMs, shared } = workerData;
  const counters = new Int32Array(shared, 0, 2);
  const input = new Uint8Array(shared, 8);
  const modules = { rfc6455: await import('../../dist/rfc6455.js'), api: await import('../../dist/index.js') };
  const end = Date.now() + durationMs;
  const result = fuzzTarget({
    modules,
    target,
    seeds: loadCorpus(target),
    seed,
    shouldStop: (n) => (n & 63) === 0 && Date.now() >= end,
    onInput: (bytes) => {
      const n = Math.min(bytes.length, MAX_INPUT_BYTES);
      input.set(bytes.subarray(0, n));
      Atomics.store(counters, 1, n);
      Atomics.add(counters, 0, 1);
    },
    onInteresting: (bytes) => parentPort.postMessage({ kind: 'interesting', bytes: Array.from(bytes) }),
  });
  parentPort.postMessage({ kind: 'done', result });
}

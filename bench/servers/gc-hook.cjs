/**
 * Preloaded into a server under test for the idle-connections workload only
 * (`node --expose-gc --require bench/servers/gc-hook.cjs <server>`, the same for every server):
 * SIGUSR2 runs two full garbage collections, so the load generator reads RSS after the heap has
 * settled rather than whenever V8 last collected. The servers' own code is unchanged.
 */
'use strict';

if (typeof globalThis.gc === 'function') {
  process.on('SIGUSR2', () => {
    globalThis.gc();
    // A second pass after the first one's weak callbacks and finalizers ran.
    setImmediate(() => globalThis.gc());
  });
}

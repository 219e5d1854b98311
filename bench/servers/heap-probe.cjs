/**
 * Preloaded into a server for bench/heap-diff.mjs (`node --expose-gc --require
 * ./bench/servers/heap-probe.cjs <server>`): SIGUSR2 collects garbage and writes a heap snapshot
 * to $HEAP_PROBE_DIR, then prints `snapshot <path>` on stderr. The server's own code is unchanged.
 */
'use strict';
const v8 = require('node:v8');
const path = require('node:path');

let n = 0;
process.on('SIGUSR2', () => {
  globalThis.gc();
  setImmediate(() => {
    globalThis.gc();
    const file = v8.writeHeapSnapshot(path.join(process.env.HEAP_PROBE_DIR ?? '.', `probe-${process.pid}-${n++}.heapsnapshot`));
    process.stderr.write(`snapshot ${file}\n`);
  });
});

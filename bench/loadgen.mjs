/**
 * The load generator, run as its own process (forked by bench/run.mjs) so that it never shares
 * an event loop with the server it measures. It receives one job over IPC, runs it and answers
 * `{ ok: true, result }` or `{ ok: false, error }`, then exits.
 *
 * Raw `net` sockets, pre-built masked frames and an in-place reply checker keep its own cost per
 * message far below a WebSocket server's (see `loadgenCpuPct` in the results).
 */
import { runDeflate } from './load/deflate-load.mjs';
import { runEcho } from './load/echo-load.mjs';
import { runFanout } from './load/fanout-load.mjs';
import { runHandshakes } from './load/handshake-load.mjs';
import { runIdle } from './load/idle-load.mjs';

/** @param {{ kind: 'echo' | 'idle' | 'handshake' | 'fanout' | 'deflate' }} job */
function run(job) {
  switch (job.kind) {
    case 'echo':
      return runEcho(job);
    case 'idle':
      return runIdle(job);
    case 'handshake':
      return runHandshakes(job);
    case 'fanout':
      return runFanout(job);
    case 'deflate':
      return runDeflate(job);
    default:
      throw new Error(`unknown job kind ${job.kind}`);
  }
}

process.once('message', async (job) => {
  let reply;
  try {
    reply = { ok: true, result: await run(job) };
  } catch (err) {
    reply = { ok: false, error: err instanceof Error ? err.message : String(err) };
  }
  process.send(reply, () => process.exit(0));
});

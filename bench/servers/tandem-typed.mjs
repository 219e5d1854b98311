/**
 * The typed layer for bench/resume-cost.mjs (`createServer` from the built dist/server.js), with
 * session resume on (the default) or off (`--resume off`: `createServer({ resume: false })`):
 * - `request('echo', p)` answers `p` (the typed echo);
 * - every `fire` event is re-broadcast to all peers as a `tick` with the same payload, through
 *   `server.emit` (encoded and framed once; logged once per resumable session, bytes shared).
 * Prints `listening <port>`. Under `fork` (an IPC channel) it also answers, after two full GCs
 * (it must run with `--expose-gc`): `{ cmd: 'heap' }` → `{ heapUsed, suspended, sessions }`,
 * and `{ cmd: 'broadcast', count, payload }` → emits `count` ticks, then answers like `heap`.
 *
 * Usage: node --expose-gc bench/servers/tandem-typed.mjs [--port 0] [--host 127.0.0.1] [--resume on|off]
 */
import { parseArgs } from 'node:util';
import { createServer } from '../../dist/server.js';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '0' },
    host: { type: 'string', default: '127.0.0.1' },
    resume: { type: 'string', default: 'on' },
  },
});
if (values.resume !== 'on' && values.resume !== 'off') throw new Error(`--resume must be on or off, got ${values.resume}`);

const server = createServer({ port: Number(values.port), host: values.host, ...(values.resume === 'off' ? { resume: false } : {}) });
server.handle('echo', (payload) => payload);
server.on('connection', (peer) => {
  peer.on('fire', (payload) => server.emit('tick', payload));
});
// A peer's protocol error must not pass silently: the load would fail, but the reason helps.
server.on('error', (err) => process.stderr.write(`tandem-typed: ${err instanceof Error ? err.message : String(err)}\n`));
server.on('listening', () => process.stdout.write(`listening ${server.address().port}\n`));
process.on('SIGTERM', () => process.exit(0));

/** Heap after two full GCs (the second after the first one's weak callbacks ran). */
function heap() {
  return new Promise((resolve) => {
    globalThis.gc?.();
    setImmediate(() => {
      globalThis.gc?.();
      const stats = server.stats();
      resolve({ heapUsed: process.memoryUsage().heapUsed, suspended: stats.sessions.suspended, sessions: stats.sessions });
    });
  });
}

process.on('message', async (message) => {
  if (message?.cmd === 'broadcast') for (let i = 0; i < message.count; i++) server.emit('tick', { ...message.payload, n: i });
  if (message?.cmd === 'heap' || message?.cmd === 'broadcast') process.send?.(await heap());
});

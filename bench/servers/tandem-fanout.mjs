/**
 * Broadcast fan-out through Tandem's typed layer (`createServer` from the built dist/server.js):
 * peers say hello and get a welcome (docs/protocol.md §4); every `fire` event any peer sends is
 * re-broadcast to all peers as a `tick` event with the same payload, through `server.emit`, which
 * encodes and frames the envelope once for all recipients. Prints `listening <port>`.
 *
 * Usage: node bench/servers/tandem-fanout.mjs [--port 0] [--host 127.0.0.1]
 */
import { parseArgs } from 'node:util';
import { createServer } from '../../dist/server.js';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '0' },
    host: { type: 'string', default: '127.0.0.1' },
  },
});

const server = createServer({ port: Number(values.port), host: values.host });
server.on('connection', (peer) => {
  peer.on('fire', (payload) => server.emit('tick', payload));
});
// Reported failures (a peer's protocol error) must not pass silently: the load generator would
// see the close and fail the run, but the reason helps.
server.on('error', (err) => process.stderr.write(`tandem-fanout: ${err instanceof Error ? err.message : String(err)}\n`));
server.on('listening', () => process.stdout.write(`listening ${server.address().port}\n`));
process.on('SIGTERM', () => process.exit(0));

/**
 * The baseline: an echo server on the `ws` package (devDependency), which picks up its native
 * helpers `bufferutil` (masking) and `utf-8-validate` by itself when they load. Prints
 * `listening <port>` like `node bin/tandem.mjs echo`.
 *
 * Usage: node bench/servers/ws-echo.mjs [--port 0] [--host 127.0.0.1] [--deflate]
 */
import { parseArgs } from 'node:util';
import { WebSocketServer } from 'ws';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '0' },
    host: { type: 'string', default: '127.0.0.1' },
    deflate: { type: 'boolean', default: false },
  },
});

const wss = new WebSocketServer({
  port: Number(values.port),
  host: values.host,
  perMessageDeflate: values.deflate,
  clientTracking: true,
});
wss.on('connection', (socket) => {
  // Text back as text, binary as binary, as the Tandem echo CLI does.
  socket.on('message', (data, isBinary) => socket.send(data, { binary: isBinary }));
  socket.on('error', () => socket.terminate());
});
wss.on('listening', () => process.stdout.write(`listening ${wss.address().port}\n`));
process.on('SIGTERM', () => process.exit(0));

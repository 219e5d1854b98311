/**
 * The ceiling: a plain TCP echo (no WebSocket framing at all) that returns the load generator's
 * masked frames byte for byte. It moves the same bytes a WebSocket echo moves, so the gap between
 * it and a WebSocket server is the cost of the protocol. Prints `listening <port>`.
 *
 * Usage: node bench/servers/raw-tcp-echo.mjs [--port 0] [--host 127.0.0.1]
 */
import net from 'node:net';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '0' },
    host: { type: 'string', default: '127.0.0.1' },
  },
});

const server = net.createServer((socket) => {
  socket.setNoDelay(true);
  // pipe() honours backpressure both ways and ends our side when the client ends its side.
  socket.on("data", (c) => socket.write(c)); socket.on("end", () => socket.end());
  socket.on('error', () => socket.destroy());
});
server.listen(Number(values.port), values.host, () => {
  process.stdout.write(`listening ${server.address().port}\n`);
});
process.on('SIGTERM', () => process.exit(0));

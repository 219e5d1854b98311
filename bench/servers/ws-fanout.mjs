/**
 * The baseline for broadcast fan-out: a `ws` server (native helpers loaded by ws itself) that
 * speaks the minimal envelope protocol the load generator needs — a `hello` is answered with
 * `{"v":1,"type":"welcome"}`, and a `fire` event is re-broadcast to every open client as a `tick`
 * event with the same payload, the way ws's README broadcasts: encode once (`JSON.stringify`,
 * one Buffer), then `client.send` in a loop over `wss.clients`. The bytes are the same as
 * Tandem's `server.emit('tick', payload)` produces. Prints `listening <port>`.
 *
 * Usage: node bench/servers/ws-fanout.mjs [--port 0] [--host 127.0.0.1]
 */
import { parseArgs } from 'node:util';
import { WebSocket, WebSocketServer } from 'ws';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '0' },
    host: { type: 'string', default: '127.0.0.1' },
  },
});

const WELCOME = Buffer.from('{"v":1,"type":"welcome"}');
const wss = new WebSocketServer({ port: Number(values.port), host: values.host, perMessageDeflate: false, clientTracking: true });

wss.on('connection', (socket) => {
  socket.on('message', (data, isBinary) => {
    let envelope;
    try {
      envelope = isBinary ? undefined : JSON.parse(data.toString());
    } catch {
      envelope = undefined;
    }
    // docs/protocol.md §6: what is not a JSON envelope fails the connection (1007).
    if (typeof envelope !== 'object' || envelope === null || envelope.v !== 1) return socket.close(1007);
    if (envelope.type === 'hello') return socket.send(WELCOME, { binary: false });
    if (envelope.type === 'event' && envelope.name === 'fire') return broadcast(envelope.payload);
    return undefined;
  });
  socket.on('error', () => socket.terminate());
});

/** One encoding for all recipients; ws frames it again for each `send`. */
function broadcast(payload) {
  const data = Buffer.from(JSON.stringify({ v: 1, type: 'event', name: 'tick', payload }));
  for (const client of wss.clients) {
    if (client.readyState === WebSocket.OPEN) client.send(data, { binary: false });
  }
}

wss.on('listening', () => process.stdout.write(`listening ${wss.address().port}\n`));
process.on('SIGTERM', () => process.exit(0));

// Tandem's echo server on one TLS port that speaks HTTP/2 (WebSockets as extended CONNECT
// streams, RFC 8441) and HTTP/1.1 (the Upgrade), for bench/http2.mjs. The key and certificate
// come in TANDEM_TLS_KEY / TANDEM_TLS_CERT; prints `listening <port>` when ready.
import { WebSocketServer } from '../../dist/server.js';

const wss = new WebSocketServer({
  port: 0,
  host: '127.0.0.1',
  tls: { key: process.env.TANDEM_TLS_KEY, cert: process.env.TANDEM_TLS_CERT },
});
wss.on('connection', (ws) => ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary })));
wss.on('listening', () => process.stdout.write(`listening ${wss.address().port}\n`));
process.on('SIGTERM', () => process.exit(0));

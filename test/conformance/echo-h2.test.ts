/**
 * The whole conformance suite over HTTP/2 (RFC 8441): the same cases, the same exact bytes and
 * close codes as echo-in-process.test.ts, each on its own extended CONNECT stream of one shared
 * HTTP/2 session to the echo server's TLS port. "The server closes the TCP connection" reads
 * "the server ends its stream" here (RFC 8441 §5: the stream is the WebSocket's connection).
 */
import type { ClientHttp2Session } from 'node:http2';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { WebSocketServer } from '../../server/socket/websocket-server.js';
import { echo } from '../../server/tools/cli.js';
import { closeH2, connectH2, openRawH2, testCertificate } from '../helpers/h2-client.js';
import { track, stopAll } from '../helpers/servers.js';
import { runCase } from './cases.js';
import { ALL_SECTIONS } from './sections/index.js';

let port = 0;
let session: ClientHttp2Session;
beforeAll(async () => {
  const wss = track(new WebSocketServer({ port: 0, host: '127.0.0.1', tls: testCertificate() }));
  await new Promise<void>((resolve) => wss.once('listening', () => resolve()));
  echo(wss);
  port = (wss.address() as AddressInfo).port;
  session = await connectH2(port);
});
afterAll(async () => {
  await closeH2(session);
  await stopAll();
});

for (const [name, cases] of ALL_SECTIONS) {
  describe(`Autobahn section ${name} over HTTP/2`, () => {
    for (const testCase of cases) {
      it(`${testCase.id} ${testCase.title}`, { timeout: 30_000 }, () => runCase(port, testCase, () => openRawH2(session)));
    }
  });
}

/**
 * The extension seam: a `negotiateExtensions` hook and a message codec plug permessage-deflate
 * into the server without touching the handshake or the connection. Exercised here with the
 * project's PerMessageDeflate and `ws` (which compresses) as the client.
 */
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { PerMessageDeflate } from '../../node/permessage-deflate.js';
import { acceptPerMessageDeflate, parseExtensionHeader } from '../../src/rfc6455/index.js';
import type { NegotiateExtensions } from '../../server/socket/handshake.js';
import { listen, stopAll } from '../helpers/servers.js';
import { RawClient, closeCodeOf } from '../helpers/raw-client.js';

afterEach(stopAll);

const negotiateExtensions: NegotiateExtensions = (offer) => {
  const accepted = acceptPerMessageDeflate(parseExtensionHeader(offer));
  if (accepted === undefined) return undefined;
  const codec = Object.assign(new PerMessageDeflate({ role: 'server', params: accepted.params, maxPayload: 1024 * 1024 }), { threshold: 0 });
  return { header: accepted.header, codec };
};

async function wsClient(port: number): Promise<WebSocket> {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/`, { perMessageDeflate: { threshold: 0 } });
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  return ws;
}

describe('extension seam (permessage-deflate through negotiateExtensions)', () => {
  it('negotiates, inflates and deflates, keeping message order across sizes and types', async () => {
    const { wss, port } = await listen({ negotiateExtensions });
    let serverExtensions = '';
    wss.on('connection', (conn) => {
      serverExtensions = conn.extensions;
      conn.on('message', (data, isBinary) => {
        conn.send(data, { binary: isBinary });
        conn.send('small', { compress: false }); // uncompressed, must stay behind the compressed echo
      });
    });
    const ws = await wsClient(port);
    expect(ws.extensions).toBe('permessage-deflate');
    const got: string[] = [];
    const done = new Promise<void>((resolve) => ws.on('message', (d, isBinary) => got.push(`${isBinary ? 'b' : 't'}:${(d as Buffer).length}`) === 6 && resolve()));
    ws.send('x'.repeat(100_000));
    ws.send(Buffer.alloc(5000, 7));
    ws.send('tiny');
    await done;
    expect(serverExtensions).toBe('permessage-deflate');
    expect(got).toEqual(['t:100000', 't:5', 'b:5000', 't:5', 't:4', 't:5']);
    ws.terminate();
  });

  it('without the hook, RSV1 stays a protocol error (1002)', async () => {
    const { port } = await listen();
    const client = await RawClient.connect(port, '/', { 'Sec-WebSocket-Extensions': 'permessage-deflate' });
    expect(client.response).not.toContain('Sec-WebSocket-Extensions');
    client.sendFrame(1, Uint8Array.of(0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00), { rsv: 4 });
    expect(closeCodeOf((await client.next())!)).toBe(1002);
  });
});

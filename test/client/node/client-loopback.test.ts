/**
 * The typed client under Node with no WebSocket option: `createClient` from the `node` entry of
 * tandem/client (client/node) uses Tandem's own WebSocket. The same cases as the browser run
 * (loopback-cases.ts), against the same two servers, and what only this transport can tell: why
 * a connection failed, on the lifecycle `error` event and in the close info.
 */
import type { AddressInfo } from 'node:net';
import { createServer as createTcpServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { createClient } from '../../../client/node/index.js';
import type { CloseInfo } from '../../../client/node/index.js';
import { AuthenticationError, createServer } from '../../../server/index.js';
import { loopbackCases } from '../loopback-cases.js';
import type { Contract } from '../loopback-cases.js';

loopbackCases("Tandem's Node WebSocket", (url, options) => createClient<Contract>(url, options));

async function failedAttempt(url: string): Promise<{ closes: CloseInfo[]; errors: unknown[] }> {
  const c = createClient<Contract>(url, { reconnect: false, heartbeat: false });
  const closes: CloseInfo[] = [];
  const errors: unknown[] = [];
  c.lifecycle.on('close', (info) => closes.push(info));
  c.lifecycle.on('error', (e) => errors.push(e));
  const deadline = Date.now() + 5000;
  while (c.state !== 'closed' && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
  return { closes, errors };
}

describe('connection failures carry their cause (Node transport, no options)', () => {
  it('ECONNREFUSED', async () => {
    const probe = createTcpServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const { port } = probe.address() as AddressInfo;
    await new Promise((resolve) => probe.close(resolve));
    const { closes, errors } = await failedAttempt(`ws://127.0.0.1:${port}/`);
    const cause = expect.objectContaining({ name: 'HandshakeError', code: 'ERR_CONNECT_FAILED', cause: expect.objectContaining({ code: 'ECONNREFUSED' }) });
    expect(closes).toEqual([{ code: 1006, reason: '', willReconnect: false, resuming: false, error: cause }]);
    expect(errors).toEqual([cause]);
  });

  it("a refusal before the 101: the HTTP status and the body's first bytes", async () => {
    const server = createServer<Contract>({
      port: 0,
      host: '127.0.0.1',
      authenticate: () => {
        throw new AuthenticationError(401, 'token expired');
      },
    });
    await new Promise<void>((resolve) => server.once('listening', () => resolve()));
    try {
      const { port } = server.address() as AddressInfo;
      const { closes } = await failedAttempt(`ws://127.0.0.1:${port}/`);
      expect(closes).toHaveLength(1);
      expect(closes[0]).toMatchObject({ code: 1006, willReconnect: false, error: { name: 'HandshakeError', code: 'ERR_HANDSHAKE_STATUS', status: 401 } });
      expect(closes[0]!.error).toMatchObject({ body: expect.stringMatching(/token expired|Unauthorized/) });
    } finally {
      await server.close({ timeout: 100 });
    }
  });
});

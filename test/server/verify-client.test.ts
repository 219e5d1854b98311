import { afterEach, describe, expect, it } from 'vitest';
import type { VerifyClient } from '../../server/socket/handshake.js';
import { listen, stopAll } from '../helpers/servers.js';
import { connect } from 'node:net';
import { upgradeRequest } from '../helpers/raw-client.js';

// ws's two verifyClient forms: the callback `(info, cb)` and a returned value or promise.
afterEach(stopAll);

/** The server's answer to an upgrade request: its head and body, as far as the first response goes. */
function firstResponse(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let text = '';
    const timer = setTimeout(() => reject(new Error(`no answer; got ${JSON.stringify(text)}`)), 5000);
    const done = (): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(text);
    };
    socket.on('data', (chunk: Buffer) => {
      text += chunk.toString('latin1');
      // A 101 has no body: its head is the whole answer; a refusal is complete when the server closes.
      if (text.startsWith('HTTP/1.1 101') && text.includes('\r\n\r\n')) done();
    });
    socket.on('error', () => undefined);
    socket.on('close', done);
    socket.write(upgradeRequest('/'));
  });
}

async function handshake(verifyClient: VerifyClient): Promise<{ status: string; response: string; errors: unknown[] }> {
  const { wss, port } = await listen({ verifyClient });
  const errors: unknown[] = [];
  wss.on('error', (err) => errors.push(err));
  const response = await firstResponse(port);
  return { status: response.split('\r\n')[0] ?? '', response, errors };
}

describe('verifyClient, ws callback form (info, cb)', () => {
  it('cb(true) accepts: 101', async () => {
    const { status } = await handshake((_info, cb) => cb(true));
    expect(status).toBe('HTTP/1.1 101 Switching Protocols');
  });

  it('cb(false) refuses with 401 by default', async () => {
    const { status } = await handshake((_info, cb) => cb(false));
    expect(status).toBe('HTTP/1.1 401 Unauthorized');
  });

  it('cb(false, status, reason, headers) refuses with them, also when called later', async () => {
    const { status, response } = await handshake((_info, cb) => {
      setTimeout(() => cb(false, 403, 'Nope', { 'X-Why': 'test' }), 20);
    });
    expect(status).toBe('HTTP/1.1 403 Forbidden');
    expect(response).toContain('X-Why: test\r\n');
    expect(response.endsWith('\r\n\r\nNope')).toBe(true);
  });

  it('a callback-form hook that throws is a 500, and the process keeps running', async () => {
    const { status } = await handshake((_info, _cb) => {
      throw new Error('hook bug');
    });
    expect(status).toBe('HTTP/1.1 500 Internal Server Error');
  });
});

describe('verifyClient, promise form (info)', () => {
  const cases: [string, VerifyClient, string][] = [
    ['true', () => true, '101 Switching Protocols'],
    ['false', () => false, '401 Unauthorized'],
    ['a status', () => 429, '429 Too Many Requests'],
    ['a promise of true', async () => true, '101 Switching Protocols'],
    ['a promise of a refusal', async () => ({ status: 403, reason: 'no' }), '403 Forbidden'],
  ];
  it.each(cases)('%s', async (_name, verify, expected) => {
    const { status } = await handshake(verify);
    expect(status).toBe(`HTTP/1.1 ${expected}`);
  });
});

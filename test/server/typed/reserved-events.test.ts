/**
 * Reserved names: a peer's lifecycle events (`disconnect`, `error`) are on `peer.lifecycle`, the
 * client's events on `peer.on`. A client emitting an event named `disconnect` or `error` must never
 * reach a listener typed `(reason, code)` or `(error)`.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { closeAll, connectClient, startServer, until } from './harness.js';
import type { Peer } from '../../../server/typed/peer.js';

interface Api {
  client: { events: { disconnect: { why: string }; error: { what: string }; say: string } };
  server: { events: { ack: string } };
}

afterEach(closeAll);

describe('peer.lifecycle: reserved events apart from the contract', () => {
  it("a client's emit('disconnect') / emit('error') reach peer.on as contract events, never peer.lifecycle", async () => {
    const { server, url } = await startServer<Api>({ logger: false });
    const contract: unknown[] = [];
    const lifecycle: unknown[] = [];
    let peer: Peer<Api> | undefined;
    server.on('connection', (p) => {
      peer = p;
      p.on('disconnect', (payload) => contract.push(['disconnect', payload]));
      p.on('error', (payload) => contract.push(['error', payload]));
      p.on('say', (text) => {
        contract.push(['say', text]);
        p.emit('ack', text);
      });
      p.lifecycle.on('disconnect', (reason, code) => lifecycle.push(['disconnect', reason, code]));
      p.lifecycle.on('error', (error) => lifecycle.push(['error', error]));
    });
    const client = await connectClient<Api>(url);
    const acked = new Promise((resolve) => client.on('ack', resolve));
    client.emit('disconnect', { why: 'not really' });
    client.emit('error', { what: 'just data' });
    client.emit('say', 'after');
    expect(await acked).toBe('after');
    expect(contract).toEqual([
      ['disconnect', { why: 'not really' }],
      ['error', { what: 'just data' }],
      ['say', 'after'],
    ]);
    expect(lifecycle).toEqual([]);
    expect(peer!.state).toBe('open');
    client.close(1000, 'done');
    await until(() => lifecycle.length === 1);
    expect(lifecycle).toEqual([['disconnect', 'done', 1000]]);
    expect(contract).toHaveLength(3);
  });

  it('a throwing contract listener named "error" is reported on peer.lifecycle, once', async () => {
    const { server, url } = await startServer<Api>({ logger: false });
    const reported: unknown[] = [];
    server.on('connection', (p) => {
      p.on('error', () => {
        throw new Error('listener bug');
      });
      p.lifecycle.on('error', (error) => reported.push(error));
    });
    const client = await connectClient<Api>(url);
    client.emit('error', { what: 'x' });
    await until(() => reported.length === 1);
    expect((reported[0] as Error).message).toBe('listener bug');
  });
});

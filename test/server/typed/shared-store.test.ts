/**
 * A session store shared between nodes, without Redis: an in-memory "broker" two servers of one
 * process share (the Redis store runs the same contract against redis-server in
 * test/cluster/session-store.test.ts). Write-ahead — an envelope reaches the socket only once the
 * store has it — and the adoption of another server's session: the welcome, the replay with its
 * seqs, the catch-up as new seqs before live broadcasts, the identity check.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Adoption, CaughtUpBroadcast, SessionRecord, SessionStoreFactory } from '../../../server/typed/session/session-store.js';
import { ResumeRaw, closeResumable, connectedPeer, startResumable } from '../../helpers/resume-raw.js';
import { eventually } from '../../helpers/adapter-conformance.js';

afterEach(closeResumable);

/** What two servers share: records, every logged envelope, and what a take-over catches up on. */
class Broker {
  readonly records = new Map<string, SessionRecord>();
  readonly logs = new Map<string, Array<{ seq: number; data: string | Uint8Array }>>();
  catchUp: CaughtUpBroadcast[] = [];
  topUp: CaughtUpBroadcast[] = [];
  /** Writes not yet "in the broker" (held back while `hold` is true). */
  readonly pending: Array<() => void> = [];
  hold = false;

  readonly factory: SessionStoreFactory = (context) => ({
    create: (record) => void this.records.set(record.sid, { ...record }),
    update: (sid, change) => {
      const record = this.records.get(sid);
      if (record !== undefined) this.records.set(sid, { ...record, ...change });
    },
    end: (sid) => void this.records.delete(sid),
    get: async (sid) => {
      const record = this.records.get(sid);
      return record === undefined ? { kind: 'missing' } : { kind: 'found', record };
    },
    append: (sid, seq, data) => {
      const log = this.logs.get(sid) ?? [];
      this.logs.set(sid, log);
      const write = () => {
        log.push({ seq, data: data() });
        context.persisted?.(sid, seq);
      };
      if (this.hold) this.pending.push(write);
      else queueMicrotask(write);
    },
    adopt: async (sid, ack): Promise<Adoption> => {
      const record = this.records.get(sid)!;
      const replay = (this.logs.get(sid) ?? []).filter((entry) => entry.seq > ack).map((entry) => entry.data);
      return { kind: 'adopted', session: { record, replay, catchUp: this.catchUp, seen: new Set(), topUp: async () => this.topUp } };
    },
    close: async () => undefined,
  });

  release(): void {
    for (const write of this.pending.splice(0)) write();
  }
}

const tick = (id: string, n: number): CaughtUpBroadcast => ({ id, message: { data: `{"v":1,"type":"event","name":"tick","payload":{"n":${n}}}`, volatile: false } });

describe('a session store shared between nodes', () => {
  it('write-ahead: a numbered envelope reaches the socket only once the store has it, in order', async () => {
    const broker = new Broker();
    const { server, port } = await startResumable({ resume: { store: broker.factory } });
    const { client, peer, sid } = await connectedPeer(server, port);
    broker.hold = true;
    const before = server.stats().messagesOut;
    peer.emit('tick', { n: 1 });
    server.emit('tick', { n: 2 }); // a broadcast: the shared body, logged with its seq
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(server.stats().messagesOut).toBe(before); // nothing written while the store lacks them
    expect(broker.pending.length).toBe(2);
    broker.release();
    expect(await client.envelopes(2)).toEqual([
      { v: 1, type: 'event', name: 'tick', payload: { n: 1 }, seq: 1 },
      { seq: 2, v: 1, type: 'event', name: 'tick', payload: { n: 2 } },
    ]);
    expect(broker.logs.get(sid)!.map((entry) => entry.seq)).toEqual([1, 2]);
  });

  it("another server adopts the session: resumed, the log after the ack with its seqs, the catch-up as new seqs, then live broadcasts; 'connection' there", async () => {
    const broker = new Broker();
    const a = await startResumable({ resume: { store: broker.factory }, authenticateHello: (auth) => auth });
    const b = await startResumable({ resume: { store: broker.factory }, authenticateHello: (auth) => auth });
    const { client, peer, sid } = await connectedPeer(a.server, a.port, { auth: { user: 'ann' } });
    peer.join('lobby');
    peer.data.mood = 'fine';
    for (let n = 1; n <= 3; n++) peer.emit('tick', { n });
    expect((await client.envelopes(3)).map((e) => e.seq)).toEqual([1, 2, 3]);
    await eventually(() => expect(broker.logs.get(sid)?.length).toBe(3));
    await client.cut(); // node A "dies" for this client; B takes over from the broker
    broker.catchUp = [tick('x1', 10), tick('x2', 11)];
    broker.topUp = [tick('x2', 11), tick('x3', 12)]; // x2 read twice: delivered once
    const adopted = new Promise<unknown[]>((resolve) => b.server.once('connection', (...args) => resolve(args)));
    const { client: moved, welcome } = await ResumeRaw.connect(b.port, { sid, ack: 1, auth: { user: 'ann' } });
    expect(welcome).toEqual({ envelope: { v: 1, type: 'welcome', sid, resumed: true, ack: 0 } });
    const [bPeer] = (await adopted) as [{ sid: string; data: Record<string, unknown>; rooms: ReadonlySet<string> }];
    expect([bPeer.sid, bPeer.data.mood, [...bPeer.rooms]]).toEqual([sid, 'fine', ['lobby']]);
    const got = await moved.envelopes(5);
    expect(got.map((e) => [e.seq, (e.payload as { n: number }).n])).toEqual([
      [2, 2],
      [3, 3],
      [4, 10],
      [5, 11],
      [6, 12],
    ]);
    b.server.to('lobby').emit('tick', { n: 13 });
    expect((await moved.envelopes(1))[0]).toMatchObject({ seq: 7, payload: { n: 13 } });
  });

  it('a hello that authenticates as someone else is refused (identity) and takes nothing over', async () => {
    const broker = new Broker();
    const a = await startResumable({ resume: { store: broker.factory }, authenticateHello: (auth) => auth });
    const b = await startResumable({ resume: { store: broker.factory }, authenticateHello: (auth) => auth });
    const { sid } = await connectedPeer(a.server, a.port, { auth: { user: 'ann' } });
    const { welcome } = await ResumeRaw.connect(b.port, { sid, ack: 0, auth: { user: 'mallory' } });
    expect(welcome).toEqual({ envelope: { v: 1, type: 'welcome', sid: expect.not.stringMatching(sid), resumed: false, ack: 0, reason: 'identity' } });
    expect(broker.records.get(sid)).toMatchObject({ identity: { user: 'ann' } });
  });
});

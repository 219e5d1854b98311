/**
 * Session resume end to end over loopback: the client (on `ws`'s WebSocket) against a scripted
 * server that speaks docs/protocol.md §10 (test/helpers/ws-resume-server.ts). The server cuts the
 * TCP connection mid-stream while both ends send; nothing may be lost, duplicated or reordered in
 * either direction, and every request in flight settles once with its real answer.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket as WsWebSocket } from 'ws';
import { createClient } from '../../client/index.js';
import type { ClientState, CloseInfo, OpenInfo, TandemClient, WebSocketConstructor } from '../../client/index.js';
import { startResumeServer } from '../helpers/ws-resume-server.js';
import type { ResumeServer } from '../helpers/ws-resume-server.js';

type Contract = {
  client: { events: { tock: number }; requests: { add: { request: [number, number]; response: number } } };
  server: { events: { tick: number } };
};

let server: ResumeServer | undefined;
let client: TandemClient<Contract> | undefined;
const timers: Array<ReturnType<typeof setInterval>> = [];
afterEach(async () => {
  for (const t of timers.splice(0)) clearInterval(t);
  if (client?.state !== 'closed') client?.close();
  await server?.close();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function until(check: () => boolean, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(5);
  }
}
const range = (n: number) => Array.from({ length: n }, (_, i) => i + 1);

describe('client resume over loopback (scripted §10 server)', () => {
  it('10 cuts mid-stream: zero lost, duplicated or reordered both ways; every request settles once with its answer; state stays open', async () => {
    server = await startResumeServer({ handlers: { add: (p) => (p as number[])[0]! + (p as number[])[1]! } });
    const c = createClient<Contract>(server.url, { WebSocket: WsWebSocket as unknown as WebSocketConstructor, network: null, reconnect: { minDelay: 20, maxDelay: 40 } });
    client = c;
    const states: ClientState[] = [];
    const opens: OpenInfo[] = [];
    const closes: CloseInfo[] = [];
    const errors: unknown[] = [];
    c.lifecycle.on('state', (s) => states.push(s));
    c.lifecycle.on('open', (info) => opens.push(info));
    c.lifecycle.on('close', (info) => closes.push(info));
    c.lifecycle.on('error', (e) => errors.push(e));
    const ticks: number[] = [];
    c.on('tick', (n) => ticks.push(n));
    await until(() => c.state === 'open');
    const session = server.sessions[0]!;

    let sentTicks = 0;
    let sentTocks = 0;
    const answers: Array<Promise<[number, unknown]>> = [];
    timers.push(setInterval(() => session.emit('tick', ++sentTicks), 1));
    timers.push(setInterval(() => c.emit('tock', ++sentTocks), 2));
    timers.push(
      setInterval(() => {
        const i = answers.length + 1;
        answers.push(c.request('add', [i, i]).then((v) => [i, v], (e: unknown) => [i, e]));
      }, 5),
    );
    let seed = 7; // a fixed LCG: the same cut times every run
    const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (let cut = 1; cut <= 10; cut++) {
      await sleep(20 + Math.floor(next() * 40));
      session.cut();
      await until(() => session.connections === cut + 1); // resumed before the next cut
    }
    await sleep(30);
    for (const t of timers.splice(0)) clearInterval(t);
    await until(() => ticks.length >= sentTicks && session.events.length >= sentTocks);
    const settled = await Promise.all(answers);

    expect(ticks).toEqual(range(sentTicks));
    expect(session.events.map((e) => e.payload)).toEqual(range(sentTocks));
    expect(settled).toEqual(settled.map(([i]) => [i, 2 * i]));
    expect([sentTicks, sentTocks, settled.length].every((n) => n > 50)).toBe(true);
    expect([errors, session.errors]).toEqual([[], []]); // no duplicate answer, no gap, nothing invalid
    expect(server.resumes).toEqual(range(10).map(() => ({ sid: session.sid, resumed: true })));
    expect(opens).toEqual([{ resumed: false }, ...range(10).map(() => ({ resumed: true }))]);
    expect(closes).toHaveLength(10);
    expect(closes.every((info) => info.code === 1006 && info.resuming && info.retryDelay === undefined)).toBe(true);
    expect(states).toEqual(['open']); // a blip that resumed never shows as 'reconnecting'
    // Both logs drain once the acknowledgements (piggybacked or after 100 ms) went round.
    await until(() => session.channel.log.size === 0);
  });

  it('a session the server forgot: open {resumed:false, reason:"unknown"}, the request in flight rejects, traffic flows in the new session', async () => {
    server = await startResumeServer({ handlers: { add: () => new Promise(() => undefined) } }); // never answers
    const c = createClient<Contract>(server.url, { WebSocket: WsWebSocket as unknown as WebSocketConstructor, network: null });
    client = c;
    const opens: OpenInfo[] = [];
    c.lifecycle.on('open', (info) => opens.push(info));
    await until(() => opens.length === 1);
    const first = server.sessions[0]!;
    const pending = c.request('add', [1, 1]);
    await until(() => first.channel.received === 1);
    server.forget(first);
    first.cut();
    await expect(pending).rejects.toMatchObject({ code: 'ERR_DISCONNECTED' });
    expect(opens).toEqual([{ resumed: false }, { resumed: false, reason: 'unknown' }]);
    expect(server.resumes).toEqual([{ sid: first.sid, resumed: false, reason: 'unknown' }]);
    c.emit('tock', 1);
    const second = server.sessions.at(-1)!;
    expect(second.sid).not.toBe(first.sid);
    await until(() => second.events.length === 1);
    expect(second.events).toEqual([{ name: 'tock', payload: 1 }]);
  });
});

/**
 * Conversation across connections and with async validators: work started on one connection
 * (a slow handler, a pending async validation) never reaches the next one, and deliveries keep
 * arrival order whether their validators are sync or async.
 */
import { describe, expect, it } from 'vitest';
import { Conversation } from '../../../src/conversation.js';
import type { Envelope } from '../../../src/envelope.js';
import { defineContract } from '../../../src/validate.js';
import type { StandardSchemaV1 } from '../../../src/validate.js';

/** An async Standard Schema whose validations the test finishes one by one, in any order. */
function manualSchema() {
  const pending: Array<() => void> = [];
  const schema: StandardSchemaV1<unknown, unknown> = {
    '~standard': { version: 1, vendor: 'test', validate: (value) => new Promise((resolve) => pending.push(() => resolve({ value }))) },
  };
  return { schema, pending };
}
const sync: StandardSchemaV1<unknown, unknown> = { '~standard': { version: 1, vendor: 'test', validate: (value) => ({ value }) } };
const flush = () => new Promise((resolve) => setTimeout(resolve, 0));

function clientEnd(schemas?: ReturnType<typeof defineContract>) {
  const log = { events: [] as unknown[], sent: [] as Envelope[], errors: [] as unknown[] };
  const conversation = new Conversation<void>({
    side: 'client',
    context: undefined,
    schemas,
    transmit: (e) => log.sent.push(e),
    onEvent: (name, payload) => log.events.push(`${name}:${String(payload)}`),
    onError: (err) => log.errors.push(err),
  });
  conversation.ready();
  return { conversation, log };
}
const event = (name: string, payload: string) => JSON.stringify({ v: 1, type: 'event', name, payload });

describe('Conversation epochs (one per connection)', () => {
  it("drops a handler's answer when the connection it was asked on is gone", async () => {
    const { conversation, log } = clientEnd();
    let finish!: (value: string) => void;
    conversation.handle('ask', () => new Promise((resolve) => (finish = resolve)));
    conversation.handle('ask2', () => 'two');
    conversation.receive('{"v":1,"type":"request","id":1,"name":"ask","payload":1}');
    conversation.reset(); // the link dropped; the next connection's server numbers from 1 again
    conversation.ready();
    conversation.receive('{"v":1,"type":"request","id":1,"name":"ask2","payload":2}');
    finish('one');
    await flush();
    expect(log.sent).toEqual([{ v: 1, type: 'response', id: 1, payload: 'two' }]);
  });

  it('drops an event whose async validation finishes after the connection ended; the next connection is synchronous again', async () => {
    const slow = manualSchema();
    const { conversation, log } = clientEnd(defineContract({ server: { events: { slow: slow.schema, quick: sync } } }));
    conversation.receive(event('slow', 'old'));
    conversation.reset();
    conversation.ready();
    slow.pending[0]!();
    await flush();
    expect(log.events).toEqual([]);
    conversation.receive(event('quick', 'new'));
    expect(log.events).toEqual(['quick:new']); // not queued behind the dropped delivery
  });
});

describe('Conversation with async validators keeps arrival order', () => {
  it('delivers events in arrival order whichever validation finishes first', async () => {
    const slow = manualSchema();
    const { conversation, log } = clientEnd(defineContract({ server: { events: { slow: slow.schema, quick: sync } } }));
    conversation.receive(event('slow', '1'));
    conversation.receive(event('slow', '2'));
    conversation.receive(event('quick', '3')); // sync, but behind pending async ones
    conversation.receive(event('plain', '4')); // no schema at all
    slow.pending[1]!();
    await flush();
    expect(log.events).toEqual([]);
    slow.pending[0]!();
    await flush();
    expect(log.events).toEqual(['slow:1', 'slow:2', 'quick:3', 'plain:4']);
    conversation.receive(event('quick', '5'));
    expect(log.events.at(-1)).toBe('quick:5'); // drained: synchronous again
  });

  it('an error answer waits behind an earlier event still being validated', async () => {
    const slow = manualSchema();
    const { conversation, log } = clientEnd(defineContract({ server: { events: { slow: slow.schema } } }));
    const { envelope, promise } = conversation.requests.create('add', 1);
    conversation.requests.markSent(envelope!.id);
    void promise.catch((err: { code: string }) => log.events.push(`rejected:${err.code}`));
    conversation.receive(event('slow', '1'));
    conversation.receive('{"v":1,"type":"error","id":1,"code":"nope","message":"no"}');
    await flush();
    expect(log.events).toEqual([]);
    slow.pending[0]!();
    await flush();
    expect(log.events).toEqual(['slow:1', 'rejected:nope']);
  });
});

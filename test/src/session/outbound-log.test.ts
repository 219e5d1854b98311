import { describe, expect, it } from 'vitest';
import { OutboundLog } from '../../../src/session/outbound-log.js';

const limits = { maxMessages: 4, maxBytes: 100 };

function filled(n: number, bytes = 10): OutboundLog<string> {
  const log = new OutboundLog<string>(limits);
  for (let i = 1; i <= n; i++) expect(log.append(`m${i}`, bytes)).toBe(i);
  return log;
}

describe('OutboundLog', () => {
  it('numbers entries 1, 2, 3… and keeps them until acknowledged', () => {
    const log = filled(3);
    expect([log.lastSeq, log.size, log.bytes, log.nextSeq()]).toEqual([3, 3, 30, 4]);
    expect(log.acknowledge(2)).toBe(true);
    expect([log.size, log.bytes, log.acknowledged]).toEqual([1, 10, 2]);
    expect(log.replayAfter(2)).toEqual({ ok: true, entries: ['m3'] });
  });

  it('replays exactly what came after the peer’s last received seq, in order', () => {
    const log = filled(4);
    expect(log.replayAfter(1)).toEqual({ ok: true, entries: ['m2', 'm3', 'm4'] });
    // replayAfter acknowledged 1: the entry is gone, and the same replay again gives the same tail
    expect(log.size).toBe(3);
    expect(log.replayAfter(1)).toEqual({ ok: true, entries: ['m2', 'm3', 'm4'] });
    expect(log.replayAfter(4)).toEqual({ ok: true, entries: [] });
  });

  it('an old or repeated ack is harmless; one beyond what was sent is refused', () => {
    const log = filled(2);
    expect(log.acknowledge(2)).toBe(true);
    expect(log.acknowledge(1)).toBe(true);
    expect(log.acknowledged).toBe(2);
    expect(log.acknowledge(3)).toBe(false);
    expect(log.acknowledged).toBe(2);
  });

  it('a peer claiming more than was sent is "ahead"; less than it acknowledged is "behind"', () => {
    const log = filled(3);
    log.acknowledge(2);
    expect(log.replayAfter(4)).toEqual({ ok: false, reason: 'ahead' });
    expect(log.replayAfter(1)).toEqual({ ok: false, reason: 'behind' });
    expect(log.replayAfter(2)).toEqual({ ok: true, entries: ['m3'] });
  });

  it('going over maxMessages drops the log for good but keeps numbering', () => {
    const log = filled(4);
    expect(log.overflowed).toBe(false);
    expect(log.append('m5', 10)).toBe(5);
    expect([log.overflowed, log.size, log.bytes]).toEqual([true, 0, 0]);
    expect(log.append('m6', 10)).toBe(6);
    expect(log.size).toBe(0);
    expect(log.replayAfter(4)).toEqual({ ok: false, reason: 'overflow' });
  });

  it('going over maxBytes overflows too (bytes counted by the caller)', () => {
    const log = new OutboundLog<string>(limits);
    log.append('a', 60);
    expect(log.overflowed).toBe(false);
    log.append('b', 41);
    expect(log.overflowed).toBe(true);
  });

  it('acknowledging keeps memory bounded over a long session (head compaction)', () => {
    const log = new OutboundLog<number>({ maxMessages: 10, maxBytes: 1e9 });
    for (let i = 1; i <= 100_000; i++) {
      log.append(i, 1);
      if (i % 5 === 0) log.acknowledge(i - 2);
    }
    expect(log.size).toBe(2);
    expect(log.replayAfter(99_998)).toEqual({ ok: true, entries: [99_999, 100_000] });
  });
});

describe('OutboundLog release hook and forced overflow (server-side accounting)', () => {
  it('tells the owner of every entry it lets go of: acknowledged, cleared, overflowed', () => {
    const released: string[] = [];
    const log = new OutboundLog<string>(limits, (value) => released.push(value));
    for (let i = 1; i <= 3; i++) log.append(`m${i}`, 10);
    log.acknowledge(2);
    expect(released).toEqual(['m1', 'm2']);
    log.acknowledge(2); // repeated: nothing more
    expect(released).toEqual(['m1', 'm2']);
    log.clear();
    expect(released).toEqual(['m1', 'm2', 'm3']);
    // the append that passes a bound is released with the rest of the log
    for (let i = 4; i <= 8; i++) log.append(`m${i}`, 10);
    expect(log.overflowed).toBe(true);
    expect(released).toEqual(['m1', 'm2', 'm3', 'm4', 'm5', 'm6', 'm7', 'm8']);
    log.append('m9', 10); // after the overflow nothing is kept, so nothing is released
    expect(released).toHaveLength(8);
  });

  it('overflow() drops the log on the owner’s word: replays refused, seqs keep counting', () => {
    const released: string[] = [];
    const log = new OutboundLog<string>(limits, (value) => released.push(value));
    log.append('a', 1);
    log.append('b', 1);
    log.overflow();
    expect([log.size, log.bytes, log.overflowed]).toEqual([0, 0, true]);
    expect(released).toEqual(['a', 'b']);
    expect(log.replayAfter(0)).toEqual({ ok: false, reason: 'overflow' });
    expect(log.append('c', 1)).toBe(3);
  });
});

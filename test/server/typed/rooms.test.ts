import { describe, expect, it } from 'vitest';
import { BroadcastOperator, type BroadcastSink } from '../../../server/typed/rooms.js';
import type { BroadcastTarget } from '../../../server/typed/adapter.js';

interface Events {
  chat: { text: string };
  tick: number;
}

function recorder() {
  const calls: Array<{ event: string; payload: unknown; target: BroadcastTarget; volatile: boolean }> = [];
  const sink: BroadcastSink = (event, payload, target, options) => {
    calls.push({ event, payload, target, volatile: options.volatile ?? false });
    return 7;
  };
  return { calls, root: new BroadcastOperator<Events>(sink) };
}

const sorted = (set: ReadonlySet<string>) => [...set].sort();

describe('BroadcastOperator', () => {
  it('targets everyone by default and returns the recipient count from the sink', () => {
    const { calls, root } = recorder();
    expect(root.emit('chat', { text: 'hi' })).toBe(7);
    expect(calls).toHaveLength(1);
    const call = calls[0]!;
    expect(call.event).toBe('chat');
    expect(call.payload).toEqual({ text: 'hi' });
    expect(call.target.rooms.size + call.target.exceptRooms.size + call.target.exceptPeers.size).toBe(0);
    expect(call.volatile).toBe(false);
  });

  it('accumulates rooms and exclusions immutably', () => {
    const { calls, root } = recorder();
    const lobby = root.to('lobby');
    const narrowed = lobby.to(['a', 'b']).in('c').except([{ id: 'p1' }, 'muted']).except({ id: 'p2' });
    narrowed.emit('tick', 1);
    lobby.emit('tick', 2);
    expect(sorted(calls[0]!.target.rooms)).toEqual(['a', 'b', 'c', 'lobby']);
    expect(sorted(calls[0]!.target.exceptRooms)).toEqual(['muted']);
    expect(sorted(calls[0]!.target.exceptPeers)).toEqual(['p1', 'p2']);
    // the stored operator was not changed by the calls made on it
    expect(sorted(calls[1]!.target.rooms)).toEqual(['lobby']);
    expect(calls[1]!.target.exceptPeers.size).toBe(0);
  });

  it('marks volatile broadcasts, by flag or by option', () => {
    const { calls, root } = recorder();
    root.volatile.to('r').emit('tick', 1);
    root.emit('tick', 2, { volatile: true });
    root.to('r').emit('tick', 3);
    expect(calls.map((c) => c.volatile)).toEqual([true, true, false]);
    expect(sorted(calls[0]!.target.rooms)).toEqual(['r']);
  });
});

describe('BroadcastOperator: peers and cluster-wide operations', () => {
  it('toPeer adds peers by id or Peer; join/leave/fetchMembers forward the audience to the adapter', async () => {
    const calls: unknown[] = [];
    const ops = {
      fetchMembers: async (t: BroadcastTarget) => (calls.push(['fetch', [...t.rooms], [...(t.peers ?? [])]]), ['x']),
      addRooms: async (t: BroadcastTarget, rooms: readonly string[]) => void calls.push(['add', [...(t.peers ?? [])], rooms]),
      removeRooms: async (t: BroadcastTarget, rooms: readonly string[]) => void calls.push(['remove', [...t.rooms], rooms]),
    };
    const root = new BroadcastOperator<Events>(() => 0, undefined, false, ops);
    const op = root.toPeer('a').toPeer([{ id: 'b' }, 'c']);
    expect(sorted(op.target.peers!)).toEqual(['a', 'b', 'c']);
    expect(root.target.peers).toBeUndefined(); // immutable
    expect(await op.to('lobby').fetchMembers()).toEqual(['x']);
    await op.join('vip');
    await root.to('lobby').volatile.leave(['x', 'y']);
    expect(calls).toEqual([
      ['fetch', ['lobby'], ['a', 'b', 'c']],
      ['add', ['a', 'b', 'c'], ['vip']],
      ['remove', ['lobby'], ['x', 'y']],
    ]);
  });

  it('an operator built without an adapter refuses cluster operations with a StateError', () => {
    const root = new BroadcastOperator<Events>(() => 0);
    expect(() => root.join('x')).toThrow(expect.objectContaining({ code: 'ERR_INVALID_STATE' }));
  });
});

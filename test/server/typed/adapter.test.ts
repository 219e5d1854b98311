import { describe, expect, it } from 'vitest';
import { MemoryAdapter, type BroadcastMessage, type BroadcastTarget, type PeerId } from '../../../server/typed/adapter.js';

const none = new Set<string>();
function target(change: Partial<BroadcastTarget> = {}): BroadcastTarget {
  return { rooms: none, exceptRooms: none, exceptPeers: none, ...change };
}

function setup(...peers: PeerId[]) {
  const delivered: Array<[PeerId, BroadcastMessage]> = [];
  const adapter = new MemoryAdapter({ deliver: (peerId, message) => (delivered.push([peerId, message]), true) });
  for (const peer of peers) adapter.addPeer(peer);
  return { adapter, delivered, ids: () => delivered.map(([id]) => id).sort() };
}

const message: BroadcastMessage = { data: '{"v":1}', volatile: false };

describe('MemoryAdapter', () => {
  it('tracks membership both ways and deletes a room with its last member', () => {
    const { adapter } = setup('a', 'b');
    adapter.join('a', 'lobby');
    adapter.join('b', 'lobby');
    adapter.join('a', 'x');
    expect([...adapter.membersOf('lobby')].sort()).toEqual(['a', 'b']);
    expect([...adapter.roomsOf('a')].sort()).toEqual(['lobby', 'x']);
    expect(adapter.roomNames().sort()).toEqual(['lobby', 'x']);
    adapter.leave('a', 'x');
    expect(adapter.roomNames().sort()).toEqual(['lobby']);
    adapter.leave('a', 'x'); // leaving twice is harmless
    expect([...adapter.roomsOf('a')]).toEqual(['lobby']);
  });

  it('removePeer leaves every room and forgets the peer', () => {
    const { adapter } = setup('a', 'b');
    adapter.join('a', 'r1');
    adapter.join('a', 'r2');
    adapter.join('b', 'r2');
    adapter.removePeer('a');
    expect(adapter.roomNames()).toEqual(['r2']);
    expect([...adapter.membersOf('r2')]).toEqual(['b']);
    expect(adapter.roomsOf('a').size).toBe(0);
    expect(adapter.peerCount()).toBe(1);
  });

  it('ignores a join for a peer that is not (or no longer) connected', () => {
    const { adapter } = setup('a');
    adapter.removePeer('a');
    adapter.join('a', 'ghost');
    expect(adapter.roomNames()).toEqual([]);
  });

  it('broadcasts to everyone when no room is named, each peer once', () => {
    const { adapter, delivered, ids } = setup('a', 'b', 'c');
    expect(adapter.broadcast(message, target())).toBe(3);
    expect(ids()).toEqual(['a', 'b', 'c']);
    expect(delivered.every(([, m]) => m === message)).toBe(true);
  });

  it('broadcasts to the union of rooms without duplicates', () => {
    const { adapter, ids } = setup('a', 'b', 'c', 'd');
    adapter.join('a', 'r1');
    adapter.join('b', 'r1');
    adapter.join('b', 'r2');
    adapter.join('c', 'r2');
    expect(adapter.broadcast(message, target({ rooms: new Set(['r1', 'r2']) }))).toBe(3);
    expect(ids()).toEqual(['a', 'b', 'c']);
  });

  it('skips excepted peers and members of excepted rooms', () => {
    const { adapter, ids } = setup('a', 'b', 'c', 'd');
    adapter.join('a', 'r1');
    adapter.join('b', 'r1');
    adapter.join('b', 'muted');
    adapter.join('c', 'r1');
    const reached = adapter.broadcast(
      message,
      target({ rooms: new Set(['r1']), exceptRooms: new Set(['muted']), exceptPeers: new Set(['c']) }),
    );
    expect(reached).toBe(1);
    expect(ids()).toEqual(['a']);
  });

  it('reaches nobody for an unknown room', () => {
    const { adapter, delivered } = setup('a');
    expect(adapter.broadcast(message, target({ rooms: new Set(['nope']) }))).toBe(0);
    expect(delivered).toEqual([]);
  });

  it('close() forgets everything', async () => {
    const { adapter } = setup('a');
    adapter.join('a', 'r');
    await adapter.close();
    expect(adapter.peerCount()).toBe(0);
    expect(adapter.roomNames()).toEqual([]);
  });

  it('counts only the peers the host wrote to (deliver → false is not reached)', () => {
    const written = new Set(['a', 'c']);
    const asked: PeerId[] = [];
    const adapter = new MemoryAdapter({ deliver: (peerId) => (asked.push(peerId), written.has(peerId)) });
    for (const peer of ['a', 'b', 'c', 'd']) adapter.addPeer(peer);
    expect(adapter.broadcast(message, target())).toBe(2);
    expect(asked.sort()).toEqual(['a', 'b', 'c', 'd']);
  });
});

import { afterEach, describe, expect, it, vi } from 'vitest';
import { closeAll, rawSocket, startServer, until } from './harness.js';
import { ServerConnection } from '../../../server/socket/server-connection.js';
import { jsonCodec, type Codec } from '../../../src/codec.js';
import { MemoryAdapter, type AdapterFactory, type BroadcastMessage, type BroadcastTarget } from '../../../server/typed/adapter.js';

interface Rooms {
  server: { events: { news: { n: number }; bin: Uint8Array } };
}

afterEach(() => {
  vi.restoreAllMocks();
  return closeAll();
});

async function threeInRooms() {
  let encodes = 0;
  const codec: Codec = { ...jsonCodec, name: 'counting', encode: (envelope) => (encodes++, jsonCodec.encode(envelope)) };
  const { server, url } = await startServer<Rooms>({ codec });
  const rooms = [['red'], ['red', 'blue'], ['blue']];
  let i = 0;
  server.on('connection', (peer) => peer.join(rooms[i++]!));
  const sockets = [];
  for (let k = 0; k < 3; k += 1) sockets.push(await rawSocket(url));
  await until(() => server.stats().rooms === 2);
  const peers = [...server.peers.values()];
  return { server, sockets, peers, encodes: () => encodes };
}

describe('rooms and broadcast', () => {
  it('to / except / emit-to-all reach exactly the right peers, each once', async () => {
    const { server, sockets, peers } = await threeInRooms();
    expect(server.to('red').emit('news', { n: 1 })).toBe(2);
    expect(server.to(['red', 'blue']).emit('news', { n: 2 })).toBe(3); // the peer in both gets one copy
    expect(server.to('blue').except(peers[1]!).emit('news', { n: 3 })).toBe(1);
    expect(server.except('blue').emit('news', { n: 4 })).toBe(1);
    expect(server.emit('news', { n: 5 })).toBe(3);
    expect(peers[1]!.to('red').emit('news', { n: 6 })).toBe(1); // peer.to excludes the sender
    const got = await Promise.all(
      sockets.map(async (raw, k) => {
        const expected = [[1, 2, 4, 5, 6], [1, 2, 5], [2, 3, 5]][k]!.length;
        const ns: number[] = [];
        for (let j = 0; j < expected; j += 1) ns.push(((await raw.next()) as { payload: { n: number } }).payload.n);
        return ns;
      }),
    );
    expect(got).toEqual([[1, 2, 4, 5, 6], [1, 2, 5], [2, 3, 5]]);
  });

  it('a broadcast is encoded once and framed once: every recipient is written the same bytes', async () => {
    const { server, sockets, encodes } = await threeInRooms();
    const frames: Array<readonly Uint8Array[]> = [];
    const original = ServerConnection.prototype.sendFrame;
    vi.spyOn(ServerConnection.prototype, 'sendFrame').mockImplementation(function (this: ServerConnection, frame, cb) {
      frames.push(frame);
      return original.call(this, frame, cb);
    });
    const before = encodes();
    server.emit('news', { n: 42 });
    expect(encodes() - before).toBe(1);
    expect(frames).toHaveLength(3);
    expect(frames[1]).toBe(frames[0]);
    expect(frames[2]).toBe(frames[0]);
    const text = '{"v":1,"type":"event","name":"news","payload":{"n":42}}';
    // RFC 6455 §5.2: FIN + text opcode, unmasked, 7-bit length
    expect(Buffer.concat(frames[0]!.map((part) => Buffer.from(part)))).toEqual(Buffer.concat([Buffer.from([0x81, text.length]), Buffer.from(text)]));
    for (const raw of sockets) expect(await raw.next()).toEqual(JSON.parse(text));
  });

  it('binary payloads broadcast as one binary frame', async () => {
    const { server, sockets } = await threeInRooms();
    server.to('blue').emit('bin', new Uint8Array([1, 2, 3]));
    const frame = (await sockets[2]!.next()) as Buffer;
    expect(jsonCodec.decode(new Uint8Array(frame))).toMatchObject({ type: 'event', name: 'bin', payload: new Uint8Array([1, 2, 3]) });
  });

  it('peers leave their rooms on disconnect; leave() and join after leaving behave', async () => {
    const { server, sockets, peers } = await threeInRooms();
    peers[1]!.leave('red');
    expect([...peers[1]!.rooms]).toEqual(['blue']);
    sockets[0]!.ws.close();
    await until(() => server.stats().connections === 2);
    expect(server.adapter.roomNames()).toEqual(['blue']);
    expect(server.to('red').emit('news', { n: 0 })).toBe(0);
  });
});

describe('peers by id and cluster-wide queries (memory adapter: the cluster is this server)', () => {
  it('toPeer emits to one peer; to(room).fetchMembers, adapter.fetchPeerCount and toPeer(...).join agree with the rooms', async () => {
    const { server, sockets, peers } = await threeInRooms();
    expect(server.toPeer(peers[2]!.id).emit('news', { n: 1 })).toBe(1);
    expect(server.toPeer('nobody').emit('news', { n: 2 })).toBe(0);
    expect(((await sockets[2]!.next()) as { payload: unknown }).payload).toEqual({ n: 1 });
    expect((await server.to('red').fetchMembers()).sort()).toEqual([peers[0]!.id, peers[1]!.id].sort());
    expect(await server.adapter.fetchPeerCount()).toBe(3);
    await server.toPeer(peers[2]!.id).join('red');
    expect([...peers[2]!.rooms].sort()).toEqual(['blue', 'red']);
    await server.to('blue').leave('red');
    expect((await server.to(['red']).fetchMembers()).sort()).toEqual([peers[0]!.id]);
    expect(server.stats().adapter).toBeUndefined();
  });
});

describe('the Adapter seam', () => {
  it('room bookkeeping and fan-out go through the adapter the server was given', async () => {
    const calls: string[] = [];
    const factory: AdapterFactory = (host) => {
      const inner = new MemoryAdapter(host);
      return {
        addPeer: (peerId) => inner.addPeer(peerId),
        removePeer: (peerId) => (calls.push('removePeer'), inner.removePeer(peerId)),
        join: (peerId, room) => (calls.push(`join ${room}`), inner.join(peerId, room)),
        leave: (peerId, room) => inner.leave(peerId, room),
        roomsOf: (peerId) => inner.roomsOf(peerId),
        membersOf: (room) => inner.membersOf(room),
        roomNames: () => inner.roomNames(),
        peerCount: () => inner.peerCount(),
        broadcast: (message: BroadcastMessage, target: BroadcastTarget) => (calls.push(`broadcast ${[...target.rooms]}`), inner.broadcast(message, target)),
        fetchMembers: (target) => inner.fetchMembers(target),
        fetchRoomsOf: (peerId) => inner.fetchRoomsOf(peerId),
        fetchPeerCount: () => inner.fetchPeerCount(),
        addRooms: (target, rooms) => inner.addRooms(target, rooms),
        removeRooms: (target, rooms) => inner.removeRooms(target, rooms),
        close: () => inner.close(),
      };
    };
    const { server, url } = await startServer<Rooms>({ adapter: factory });
    server.on('connection', (peer) => peer.join('lobby'));
    const raw = await rawSocket(url);
    await until(() => calls.includes('join lobby'));
    server.to('lobby').emit('news', { n: 7 });
    expect(await raw.next()).toMatchObject({ name: 'news', payload: { n: 7 } });
    raw.ws.close();
    await until(() => calls.includes('removePeer'));
    expect(calls).toEqual(['join lobby', 'broadcast lobby', 'removePeer']);
  });
});

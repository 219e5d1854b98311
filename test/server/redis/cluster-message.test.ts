// The cluster channel's wire format and the adapter's option checks: pure, no Redis needed.
import { describe, expect, it } from 'vitest';
import { decodeClusterMessage, encodeClusterMessage, MessageKinds } from '../../../server/redis/cluster-message.js';
import { resolveRedisOptions, REDIS_ADAPTER_DEFAULTS } from '../../../server/redis/options.js';
import { target } from '../../helpers/adapter-conformance.js';

const code = (run: () => unknown) => {
  try {
    run();
  } catch (err) {
    return (err as { code?: string }).code;
  }
  return 'no error';
};

describe('cluster messages', () => {
  it('round-trips a broadcast: audience, flags and the body bytes (a view, not a copy)', () => {
    const body = new Uint8Array([0, 1, 2, 0xff]);
    const frame = encodeClusterMessage(MessageKinds.Broadcast, 'node-a', target({ rooms: ['r1', 'r2'], peers: ['p9'], exceptRooms: ['x'], exceptPeers: ['p1'] }), { volatile: true, body });
    expect(frame.readUInt32BE(0)).toBe(0); // no positions until the publish script writes them
    const message = decodeClusterMessage(frame);
    expect(message.kind).toBe(MessageKinds.Broadcast);
    expect(message.origin).toBe('node-a');
    expect([...message.target.rooms]).toEqual(['r1', 'r2']);
    expect([...message.target.peers!]).toEqual(['p9']);
    expect([...message.target.exceptRooms]).toEqual(['x']);
    expect([...message.target.exceptPeers]).toEqual(['p1']);
    expect(message.volatile).toBe(true);
    expect(message.text).toBe(false);
    expect([...message.body]).toEqual([0, 1, 2, 0xff]);
    expect(message.body.buffer).toBe(frame.buffer);
  });

  it('reads the positions section the publish script puts in front', () => {
    const inner = encodeClusterMessage(MessageKinds.AddRooms, 'n', target({ peers: ['p'] }), { rooms: ['vip'] }).subarray(4);
    const positions = Buffer.from(JSON.stringify([['vip', 'e1', '1700000000000-0']]));
    const length = Buffer.alloc(4);
    length.writeUInt32BE(positions.length);
    const message = decodeClusterMessage(Buffer.concat([length, positions, inner]));
    expect(message.positions).toEqual([{ room: 'vip', epoch: 'e1', offset: '1700000000000-0' }]);
    expect(message.rooms).toEqual(['vip']);
    expect(message.kind).toBe(MessageKinds.AddRooms);
  });

  it.each([
    ['empty', Buffer.alloc(0)],
    ['positions length past the end', Buffer.from([0, 0, 0, 9, 1])],
    ['positions not JSON', Buffer.from([0, 0, 0, 1, 0x7b, 1, 0, 0, 0, 0])],
    ['positions not triples', Buffer.concat([Buffer.from([0, 0, 0, 4]), Buffer.from('[[1]]').subarray(0, 4)])],
    ['unknown kind', Buffer.from([0, 0, 0, 0, 7, 0, 0, 0, 2, 0x7b, 0x7d])],
    ['header without origin', Buffer.from([0, 0, 0, 0, 1, 0, 0, 0, 2, 0x7b, 0x7d])],
    ['header list of numbers', Buffer.concat([Buffer.from([0, 0, 0, 0, 1, 0, 0, 0, 16]), Buffer.from('{"n":"a","r":[1]}').subarray(0, 16)])],
    ['header length past the end', Buffer.from([0, 0, 0, 0, 1, 0xff, 0xff, 0xff, 0xff])],
  ])('rejects %s with ERR_INVALID_CLUSTER_MESSAGE', (_name, bytes) => {
    expect(code(() => decodeClusterMessage(bytes))).toBe('ERR_INVALID_CLUSTER_MESSAGE');
  });
});

describe('redisAdapter options', () => {
  it('applies the documented defaults', () => {
    const o = resolveRedisOptions({});
    expect(o).toMatchObject({ url: REDIS_ADAPTER_DEFAULTS.url, prefix: 'tandem', heartbeatInterval: 5_000, heartbeatTimeout: 15_000, maxQueued: 10_000, maxInflight: 1024, history: { maxLength: 1_000, ttl: 120_000 } });
    expect(resolveRedisOptions({ history: false }).history).toBe(false);
  });

  it.each([
    [{ heartbeat: { interval: 0 } }, /heartbeat.interval/],
    [{ heartbeat: { interval: 5_000, timeout: 5_000 } }, /timeout must be longer/],
    [{ maxQueued: -1 }, /maxQueued/],
    [{ maxInflight: Number.NaN }, /maxInflight/],
    [{ history: { ttl: 0 } }, /history.ttl/],
    [{ prefix: '' }, /prefix/],
  ])('rejects %j with a TypeError', (options, message) => {
    expect(() => resolveRedisOptions(options)).toThrow(TypeError);
    expect(() => resolveRedisOptions(options)).toThrow(message);
  });
});

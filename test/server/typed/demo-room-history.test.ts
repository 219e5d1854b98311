import { describe, expect, it } from 'vitest';
import { RoomHistory } from '../../../demo/room-history.mjs';

describe("the demo's room history", () => {
  it('keeps the last perRoom messages of a room, oldest first', () => {
    const history = new RoomHistory<number>({ rooms: 10, perRoom: 3 });
    for (let n = 1; n <= 5; n += 1) history.add('a', n);
    expect(history.messages('a')).toEqual([3, 4, 5]);
    expect(history.messages('unknown')).toEqual([]);
  });

  it('remembers at most `rooms` rooms, forgetting the least recently written first', () => {
    const history = new RoomHistory<string>({ rooms: 2, perRoom: 50 });
    history.add('a', 'a1');
    history.add('b', 'b1');
    history.add('a', 'a2'); // a is now the most recent
    history.add('c', 'c1'); // b goes
    expect(history.size).toBe(2);
    expect([history.messages('a'), history.messages('b'), history.messages('c')]).toEqual([['a1', 'a2'], [], ['c1']]);
  });

  it('stays bounded under 10,000 rooms', () => {
    const history = new RoomHistory<number>({ rooms: 100, perRoom: 50 });
    for (let n = 0; n < 10_000; n += 1) history.add(`room-${n}`, n);
    expect(history.size).toBe(100);
    expect(history.messages('room-9999')).toEqual([9999]);
    expect(history.messages('room-9899')).toEqual([]);
  });
});

import { describe, expect, it } from 'vitest';
import { SessionIds } from '../../../../server/typed/session/session-ids.js';

describe('SessionIds', () => {
  it('mints 30 base64url characters: the run tag, then 128 random bits', () => {
    const ids = new SessionIds();
    const sid = ids.mint();
    expect(sid).toMatch(/^[A-Za-z0-9_-]{30}$/);
    expect(sid.startsWith(ids.epoch)).toBe(true);
    expect(ids.epoch).toHaveLength(8);
    // 22 characters of 16 random bytes
    expect(Buffer.from(sid.slice(8), 'base64url')).toHaveLength(16);
  });

  it('draws every sid from the random source (deterministic with an injected one)', () => {
    let n = 0;
    const counter = (size: number): Uint8Array => new Uint8Array(size).fill(n++);
    const ids = new SessionIds(counter);
    expect(ids.epoch).toBe('AAAAAAAA');
    expect(ids.mint()).toBe(`AAAAAAAA${Buffer.alloc(16, 1).toString('base64url')}`);
    expect(ids.mint()).toBe(`AAAAAAAA${Buffer.alloc(16, 2).toString('base64url')}`);
  });

  it('10,000 sids of one run are distinct', () => {
    const ids = new SessionIds();
    const seen = new Set<string>();
    for (let i = 0; i < 10_000; i++) seen.add(ids.mint());
    expect(seen.size).toBe(10_000);
  });

  it('tells this run’s sids from an earlier run’s and from garbage', () => {
    const earlier = new SessionIds();
    const now = new SessionIds();
    expect(now.classify(now.mint())).toBe('current');
    expect(now.classify(earlier.mint())).toBe('earlier');
    for (const bad of ['', 'x', now.mint().slice(1), `${now.mint()}A`, `${now.epoch}${'+'.repeat(22)}`, `${now.epoch}${'='.repeat(22)}`, 'é'.repeat(30), 'A'.repeat(1_000_000)]) {
      expect(now.classify(bad)).toBe('malformed');
    }
  });
});

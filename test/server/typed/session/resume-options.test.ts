import { describe, expect, it } from 'vitest';
import { RESUME_DEFAULTS, resumePolicy, sameJson } from '../../../../server/typed/session/resume-options.js';
import { memorySessionStore } from '../../../../server/typed/session/memory-session-store.js';

describe('resume options', () => {
  it('on by default, with the documented defaults', () => {
    expect(resumePolicy(undefined)).toEqual({ ...RESUME_DEFAULTS, sameIdentity: sameJson, store: memorySessionStore });
    expect(RESUME_DEFAULTS).toEqual({ window: 120_000, maxBuffered: 10_000, maxBufferedBytes: 524_288, maxSuspended: 10_000, maxTotalBufferedBytes: 268_435_456 });
    expect(resumePolicy({ window: 5_000 })?.window).toBe(5_000);
  });

  it('`false` turns resume off', () => {
    expect(resumePolicy(false)).toBeUndefined();
  });

  it('a bad bound throws ERR_INVALID_ARGUMENT at once', () => {
    for (const bad of [{ window: 0 }, { window: -1 }, { window: 1.5 }, { window: Infinity }, { window: 2 ** 31 }, { maxBuffered: 0 }, { maxBufferedBytes: Number.NaN }, { maxSuspended: -1 }, { maxTotalBufferedBytes: 0 }]) {
      expect(() => resumePolicy(bad)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }));
    }
    expect(resumePolicy({ maxBuffered: Infinity, maxSuspended: 0 })).toMatchObject({ maxBuffered: Infinity, maxSuspended: 0 });
  });

  it('the default identity check: same value or same JSON', () => {
    expect(sameJson(undefined, undefined)).toBe(true);
    expect(sameJson({ user: 'ann', roles: ['a'] }, { user: 'ann', roles: ['a'] })).toBe(true);
    expect(sameJson({ user: 'ann' }, { user: 'bo' })).toBe(false);
    expect(sameJson('ann', undefined)).toBe(false);
    const cyclic: Record<string, unknown> = {};
    cyclic['self'] = cyclic;
    expect(sameJson(cyclic, cyclic)).toBe(true);
    expect(sameJson(cyclic, { self: {} })).toBe(false);
  });
});

/** Option validation, the text forms of the command line, and the seeded schedule (pure). */
import { describe, expect, it } from 'vitest';
import { MAX_TIME, resolveProxyOptions } from '../../../../server/tools/proxy/options.js';
import type { ProxyOptions } from '../../../../server/tools/proxy/options.js';
import { createRandom, cutSchedule, deriveSeed, drawTime } from '../../../../server/tools/proxy/random.js';
import { parseAddress, parseSize, parseTime, parseTimeRange, ProxyOptionError } from '../../../../server/tools/proxy/units.js';

function errorOf(fn: () => unknown): ProxyOptionError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ProxyOptionError);
    return err as ProxyOptionError;
  }
  throw new Error('did not throw');
}

describe('proxy option text forms', () => {
  it('parses times, ranges, sizes and addresses', () => {
    expect([parseTime('250', 'x'), parseTime('250ms', 'x'), parseTime('1.5s', 'x'), parseTime('2m', 'x')]).toEqual([250, 250, 1500, 120_000]);
    expect(parseTimeRange('1s-5s', 'x')).toEqual([1000, 5000]);
    expect(parseTimeRange('2s', 'x')).toBe(2000);
    expect([parseSize('1500', 'x'), parseSize('64kb', 'x'), parseSize('1MB', 'x'), parseSize('64kb/s', 'x')]).toEqual([1500, 65_536, 1_048_576, 65_536]);
    expect(parseAddress('127.0.0.1:8080', 'x')).toEqual({ host: '127.0.0.1', port: 8080 });
    expect(parseAddress('[::1]:8080', 'x')).toEqual({ host: '::1', port: 8080 });
    expect(parseAddress('9000', 'x', '127.0.0.1', 0)).toEqual({ host: '127.0.0.1', port: 9000 });
    expect(parseAddress('0.0.0.0:0', 'x', '127.0.0.1', 0)).toEqual({ host: '0.0.0.0', port: 0 });
  });

  const bad: Array<[() => unknown, string]> = [
    [() => parseTime('5x', '--latency'), '--latency: expected a time like 500ms, 2s or 1m, got "5x"'],
    [() => parseTime('-5', '--latency'), '--latency: expected a time like 500ms, 2s or 1m, got "-5"'],
    [() => parseTimeRange('1s-2s-3s', '--cut-after'), '--cut-after: expected a time or a range like 1s-5s, got "1s-2s-3s"'],
    [() => parseSize('lots', '--bandwidth'), '--bandwidth: expected a size like 1500, 64kb or 1mb, got "lots"'],
    [() => parseAddress('8080', '--target'), '--target: expected host:port, got "8080"'],
    [() => parseAddress('host:99999', '--target'), '--target: expected a port from 1 to 65535, got 99999'],
  ];
  it.each(bad)('rejects %#', (fn, message) => {
    const err = errorOf(fn);
    expect([err.code, err.message]).toEqual(['ERR_INVALID_ARGUMENT', message]);
  });
});

describe('resolveProxyOptions', () => {
  it('fills in defaults and applies direction overrides', () => {
    expect(resolveProxyOptions({ target: 'localhost:80', latency: 50, jitter: 10, up: { latency: 5 }, down: { bandwidth: 1000 } })).toEqual({
      listen: { host: '127.0.0.1', port: 0 },
      target: { host: 'localhost', port: 80 },
      cutAfter: undefined,
      blackhole: undefined,
      blackholeAfter: 0,
      seed: undefined,
      maxBuffered: 1024 * 1024,
      up: { latency: 5, jitter: 10, bandwidth: 0, cutEveryBytes: 0 },
      down: { latency: 50, jitter: 10, bandwidth: 1000, cutEveryBytes: 0 },
    });
    expect(resolveProxyOptions({ target: { host: '::1', port: 1 }, listen: '0.0.0.0:9000', cutAfter: [10, 20], blackhole: 'up', seed: 0 })).toMatchObject({
      listen: { host: '0.0.0.0', port: 9000 },
      cutAfter: [10, 20],
      blackhole: 'up',
      seed: 0,
    });
  });

  const invalid: Array<[string, unknown, string]> = [
    ['missing target', {}, 'target: is required'],
    ['bad target type', { target: 42 }, 'target: expected "host:port" or { host, port }'],
    ['negative latency', { target: 'h:1', latency: -1 }, `latency: expected a time in ms from 0 to ${MAX_TIME}, got -1`],
    ['latency too long for a timer', { target: 'h:1', latency: MAX_TIME + 1 }, `latency: expected a time in ms from 0 to ${MAX_TIME}, got ${MAX_TIME + 1}`],
    ['override named as such', { target: 'h:1', down: { jitter: Number.NaN } }, `down.jitter: expected a time in ms from 0 to ${MAX_TIME}, got NaN`],
    ['zero bandwidth', { target: 'h:1', bandwidth: 0 }, `bandwidth: expected an integer from 1 to ${Number.MAX_SAFE_INTEGER}, got 0`],
    ['fractional byte budget', { target: 'h:1', up: { cutEveryBytes: 1.5 } }, `up.cutEveryBytes: expected an integer from 1 to ${Number.MAX_SAFE_INTEGER}, got 1.5`],
    ['inverted range', { target: 'h:1', cutAfter: [5, 1] }, "cutAfter: the range's minimum 5 is above its maximum 1"],
    ['three-element range', { target: 'h:1', cutAfter: [1, 2, 3] }, 'cutAfter: expected a time or a [min, max] range'],
    ['bad blackhole', { target: 'h:1', blackhole: 'sideways' }, 'blackhole: expected up, down or both, got sideways'],
    ['blackholeAfter alone', { target: 'h:1', blackholeAfter: 10 }, 'blackholeAfter: needs blackhole'],
    ['seed out of range', { target: 'h:1', seed: 2 ** 32 }, `seed: expected an integer from 0 to 4294967295, got ${2 ** 32}`],
    ['listen port out of range', { target: 'h:1', listen: 70_000 }, 'listen: expected a port from 0 to 65535, got 70000'],
    ['unknown option (a typo)', { target: 'h:1', cutAfterMs: 5 }, 'cutAfterMs: unknown option'],
    ['unknown override', { target: 'h:1', up: { blackhole: 'up' } }, 'up.blackhole: unknown option'],
  ];
  it.each(invalid)('rejects %s', (_name, options, message) => {
    const err = errorOf(() => resolveProxyOptions(options as ProxyOptions));
    expect([err.code, err.message, err.option]).toEqual(['ERR_INVALID_ARGUMENT', message, message.slice(0, message.indexOf(':'))]);
  });

  it('names options through the namer (the CLI passes flags)', () => {
    const err = errorOf(() => resolveProxyOptions({ target: 'h:1', up: { latency: -1 } }, (key) => `<${key}>`));
    expect(err.option).toBe('<up.latency>');
  });
});

describe('seeded schedule', () => {
  it('the same seed gives the same cut times; another seed other times', () => {
    const a = cutSchedule(42, [1000, 5000], 50);
    expect(cutSchedule(42, [1000, 5000], 50)).toEqual(a);
    expect(cutSchedule(43, [1000, 5000], 50)).not.toEqual(a);
    for (const t of a) {
      expect(Number.isInteger(t)).toBe(true);
      expect(t).toBeGreaterThanOrEqual(1000);
      expect(t).toBeLessThanOrEqual(5000);
    }
    expect(new Set(a).size).toBeGreaterThan(40); // spread out, not a constant
    expect(cutSchedule(7, 2000, 3)).toEqual([2000, 2000, 2000]);
  });

  it('draws both ends of a range and is roughly uniform', () => {
    const random = createRandom(1);
    const counts = [0, 0, 0, 0];
    for (let i = 0; i < 4000; i++) counts[drawTime([0, 3], random)]!++;
    for (const count of counts) expect(count).toBeGreaterThan(800);
    expect(drawTime([5, 5], random)).toBe(5);
  });

  it('createRandom is deterministic in [0, 1) and derived streams differ', () => {
    const first = Array.from({ length: 5 }, createRandom(123));
    expect(Array.from({ length: 5 }, createRandom(123))).toEqual(first);
    for (const x of first) expect(x >= 0 && x < 1).toBe(true);
    expect(deriveSeed(1, 1)).not.toBe(deriveSeed(1, 2));
    expect(deriveSeed(1, 1)).toBe(deriveSeed(1, 1));
  });
});

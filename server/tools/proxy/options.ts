/**
 * Options of the fault-injection proxy and their validation. Times are plain milliseconds, sizes
 * plain bytes; the command line's text forms (`2s`, `64kb`) are parsed in units.ts.
 */
import { checkPort, parseAddress, ProxyOptionError } from './units.js';
import type { Address, TimeRange } from './units.js';

/** `up` is client → target, `down` is target → client. */
export type Direction = 'up' | 'down';

/** Which direction a black hole swallows. */
export type BlackholeDirection = Direction | 'both';

/** Faults that apply to one direction of every connection. */
export interface DirectionFaults {
  /** Delay added to every chunk, in ms. @default 0 */
  readonly latency?: number;
  /** A random 0..jitter ms added on top of `latency` per chunk; order is kept. @default 0 */
  readonly jitter?: number;
  /** Throughput limit in bytes per second. @default unlimited */
  readonly bandwidth?: number;
  /** Cut the connection once this many bytes passed in this direction. @default never */
  readonly cutEveryBytes?: number;
}

/** Options of {@link createProxy}. Top-level faults apply to both directions; `up`/`down` override. */
export interface ProxyOptions extends DirectionFaults {
  /** Where to forward: `'host:port'` or `{ host, port }`. */
  readonly target: string | Address;
  /** Port to listen on, or `'host:port'`. @default 0 (a free port on 127.0.0.1) */
  readonly listen?: number | string;
  /** Cut each connection (both sockets reset) this many ms after it was accepted, or a random time in `[min, max]`. @default never */
  readonly cutAfter?: TimeRange;
  /** Swallow this direction's bytes while the connection stays open (a half-open link). @default none */
  readonly blackhole?: BlackholeDirection;
  /** Start the black hole this many ms (or a random time in `[min, max]`) after accepting. @default 0 */
  readonly blackholeAfter?: TimeRange;
  /** Seed of the random times (an integer from 0 to 2^32 - 1): the same seed gives the same schedule. @default random */
  readonly seed?: number;
  /** Bytes held per direction (delayed or throttled) before the source socket is paused. @default 1048576 */
  readonly maxBuffered?: number;
  /** Overrides for client → target. */
  readonly up?: DirectionFaults;
  /** Overrides for target → client. */
  readonly down?: DirectionFaults;
}

/** One direction's faults after validation (0 means off). */
export interface ResolvedFaults {
  readonly latency: number;
  readonly jitter: number;
  readonly bandwidth: number;
  readonly cutEveryBytes: number;
}

/** {@link ProxyOptions} after validation, with every default filled in. */
export interface ResolvedProxyOptions {
  readonly listen: Address;
  readonly target: Address;
  readonly cutAfter: TimeRange | undefined;
  readonly blackhole: BlackholeDirection | undefined;
  readonly blackholeAfter: TimeRange;
  readonly seed: number | undefined;
  readonly maxBuffered: number;
  readonly up: ResolvedFaults;
  readonly down: ResolvedFaults;
}

/** Defaults of {@link ProxyOptions}. */
export const PROXY_DEFAULTS = Object.freeze({
  /** Interface a bare `listen` port binds to: a test tool should not be reachable from outside. @default '127.0.0.1' */
  host: '127.0.0.1',
  /** @default 1048576 (1 MiB) */
  maxBuffered: 1024 * 1024,
});

/** The longest time a Node timer can wait (about 24.8 days); longer ones would fire at once. */
export const MAX_TIME = 2 ** 31 - 1;

const FAULT_KEYS = ['latency', 'jitter', 'bandwidth', 'cutEveryBytes'] as const;
const OPTION_KEYS = new Set<string>([...FAULT_KEYS, 'target', 'listen', 'cutAfter', 'blackhole', 'blackholeAfter', 'seed', 'maxBuffered', 'up', 'down']);

/** Names an option in an error: the API name by default, a command-line flag for the CLI. */
export type OptionNamer = (key: string) => string;

/**
 * Validates `options` and fills in the defaults. Throws {@link ProxyOptionError} naming the
 * first invalid option (through `name`, e.g. `up.latency` → `--latency-up`).
 */
export function resolveProxyOptions(options: ProxyOptions, name: OptionNamer = (key) => key): ResolvedProxyOptions {
  checkKeys(options, OPTION_KEYS, '', name);
  const { blackhole, blackholeAfter } = options;
  if (blackhole !== undefined && blackhole !== 'up' && blackhole !== 'down' && blackhole !== 'both') {
    throw new ProxyOptionError(name('blackhole'), `expected up, down or both, got ${String(blackhole)}`);
  }
  if (blackholeAfter !== undefined && blackhole === undefined) {
    throw new ProxyOptionError(name('blackholeAfter'), `needs ${name('blackhole')}`);
  }
  return {
    listen: resolveListen(options.listen, name('listen')),
    target: resolveTarget(options.target, name('target')),
    cutAfter: options.cutAfter === undefined ? undefined : checkRange(options.cutAfter, name('cutAfter')),
    blackhole,
    blackholeAfter: checkRange(blackholeAfter ?? 0, name('blackholeAfter')),
    seed: options.seed === undefined ? undefined : checkInteger(options.seed, name('seed'), 0, 2 ** 32 - 1),
    maxBuffered: checkInteger(options.maxBuffered ?? PROXY_DEFAULTS.maxBuffered, name('maxBuffered'), 1, Number.MAX_SAFE_INTEGER),
    up: resolveFaults(options, 'up', name),
    down: resolveFaults(options, 'down', name),
  };
}

function resolveFaults(options: ProxyOptions, direction: Direction, name: OptionNamer): ResolvedFaults {
  const override = options[direction] ?? {};
  if (typeof override !== 'object' || override === null) throw new ProxyOptionError(name(direction), 'expected an object');
  checkKeys(override, new Set(FAULT_KEYS), `${direction}.`, name);
  // An override's error names the override (`up.latency`), the shared value its own name.
  const pick = (key: (typeof FAULT_KEYS)[number]): [number | undefined, string] =>
    override[key] !== undefined ? [override[key], name(`${direction}.${key}`)] : [options[key], name(key)];
  const [latency, latencyName] = pick('latency');
  const [jitter, jitterName] = pick('jitter');
  const [bandwidth, bandwidthName] = pick('bandwidth');
  const [cutEveryBytes, cutName] = pick('cutEveryBytes');
  return {
    latency: latency === undefined ? 0 : checkTime(latency, latencyName),
    jitter: jitter === undefined ? 0 : checkTime(jitter, jitterName),
    bandwidth: bandwidth === undefined ? 0 : checkInteger(bandwidth, bandwidthName, 1, Number.MAX_SAFE_INTEGER),
    cutEveryBytes: cutEveryBytes === undefined ? 0 : checkInteger(cutEveryBytes, cutName, 1, Number.MAX_SAFE_INTEGER),
  };
}

function checkKeys(object: object, known: ReadonlySet<string>, prefix: string, name: OptionNamer): void {
  for (const key of Object.keys(object)) {
    if (!known.has(key)) throw new ProxyOptionError(name(prefix + key), 'unknown option');
  }
}

function resolveListen(listen: number | string | undefined, option: string): Address {
  if (listen === undefined) return { host: PROXY_DEFAULTS.host, port: 0 };
  if (typeof listen === 'number') return { host: PROXY_DEFAULTS.host, port: checkPort(listen, option, 0) };
  if (typeof listen !== 'string') throw new ProxyOptionError(option, 'expected a port or "host:port"');
  return parseAddress(listen, option, PROXY_DEFAULTS.host, 0);
}

function resolveTarget(target: string | Address | undefined, option: string): Address {
  if (target === undefined) throw new ProxyOptionError(option, 'is required');
  if (typeof target === 'string') return parseAddress(target, option);
  if (typeof target !== 'object' || target === null || typeof target.host !== 'string' || target.host === '') {
    throw new ProxyOptionError(option, 'expected "host:port" or { host, port }');
  }
  return { host: target.host, port: checkPort(target.port, option, 1) };
}

function checkTime(value: unknown, option: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > MAX_TIME) {
    throw new ProxyOptionError(option, `expected a time in ms from 0 to ${MAX_TIME}, got ${String(value)}`);
  }
  return value;
}

function checkRange(range: TimeRange, option: string): TimeRange {
  if (!Array.isArray(range)) return checkTime(range, option);
  if (range.length !== 2) throw new ProxyOptionError(option, 'expected a time or a [min, max] range');
  const [min, max] = [checkTime(range[0], option), checkTime(range[1], option)];
  if (min > max) throw new ProxyOptionError(option, `the range's minimum ${min} is above its maximum ${max}`);
  return [min, max];
}

function checkInteger(value: unknown, option: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new ProxyOptionError(option, `expected an integer from ${min} to ${max}, got ${String(value)}`);
  }
  return value;
}

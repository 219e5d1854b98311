/**
 * Text forms of the proxy's option values, as typed on the command line: times (`500ms`, `2s`,
 * `1m`), time ranges (`1s-5s`), sizes (`64kb`) and addresses (`host:port`). Every parser names
 * the option it parses in its error, so `--cut-after 5x` says which flag was wrong.
 */
import { ErrorCodes, TandemError } from '../../../src/errors.js';

/**
 * An invalid proxy option, from {@link createProxy} or the command line. `option` is the name
 * the caller used (`cutAfter` in the API, `--cut-after` on the command line).
 */
export class ProxyOptionError extends TandemError {
  readonly option: string;

  constructor(option: string, message: string) {
    super(ErrorCodes.InvalidArgument, `${option}: ${message}`);
    this.option = option;
  }
}

/** A time in milliseconds, or a `[min, max]` range to draw from. */
export type TimeRange = number | readonly [min: number, max: number];

/** A host and port. */
export interface Address {
  readonly host: string;
  readonly port: number;
}

const TIME_UNITS: Readonly<Record<string, number>> = { '': 1, ms: 1, s: 1000, m: 60_000 };
const SIZE_UNITS: Readonly<Record<string, number>> = { '': 1, b: 1, kb: 1024, mb: 1024 ** 2, gb: 1024 ** 3 };

/** Parses `250`, `250ms`, `1.5s` or `2m` into milliseconds (a bare number is milliseconds). */
export function parseTime(text: string, option: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(text.trim());
  if (match === null) throw new ProxyOptionError(option, `expected a time like 500ms, 2s or 1m, got "${text}"`);
  return Math.round(Number(match[1]) * TIME_UNITS[match[2] ?? '']!);
}

/** Parses a time (`2s`) or a range of times (`1s-5s`), each part with its own unit. */
export function parseTimeRange(text: string, option: string): TimeRange {
  const parts = text.split('-');
  if (parts.length === 1) return parseTime(text, option);
  if (parts.length !== 2) throw new ProxyOptionError(option, `expected a time or a range like 1s-5s, got "${text}"`);
  return [parseTime(parts[0]!, option), parseTime(parts[1]!, option)];
}

/** Parses `1500`, `1500b`, `64kb`, `1mb` or `1gb` into bytes (1 kb = 1024 bytes). */
export function parseSize(text: string, option: string): number {
  const match = /^(\d+(?:\.\d+)?)(b|kb|mb|gb)?(?:\/s)?$/i.exec(text.trim());
  if (match === null) throw new ProxyOptionError(option, `expected a size like 1500, 64kb or 1mb, got "${text}"`);
  return Math.floor(Number(match[1]) * SIZE_UNITS[(match[2] ?? '').toLowerCase()]!);
}

/**
 * Parses `host:port` or `[ipv6]:port`; a bare port (`9000`) takes `defaultHost` when given.
 * The port is checked against `minPort` (0 lets the OS pick a free port when listening).
 */
export function parseAddress(text: string, option: string, defaultHost?: string, minPort = 1): Address {
  const match = /^(?:\[([^\]]+)\]|([^:[\]]*)):(\d+)$/.exec(text) ?? (defaultHost !== undefined ? /^()()(\d+)$/.exec(text) : null);
  const host = match?.[1] || match?.[2] || defaultHost;
  if (match === null || host === undefined || host === '') {
    const form = defaultHost === undefined ? 'host:port' : '[host:]port';
    throw new ProxyOptionError(option, `expected ${form}, got "${text}"`);
  }
  return { host, port: checkPort(Number(match[3]), option, minPort) };
}

/** Checks a port number: an integer from `minPort` to 65535. */
export function checkPort(port: number, option: string, minPort: number): number {
  if (!Number.isInteger(port) || port < minPort || port > 65535) {
    throw new ProxyOptionError(option, `expected a port from ${minPort} to 65535, got ${port}`);
  }
  return port;
}

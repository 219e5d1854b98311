/**
 * The `perMessageDeflate` option: its shape, its defaults and its validation (turning
 * `true | false | {…}` into one complete, frozen configuration), kept apart from the codec itself.
 */
import { constants } from 'node:zlib';
import { ErrorCodes, TandemError } from '../src/errors.js';
import { ConcurrencyLimiter, LIMITER_DEFAULTS } from './concurrency-limiter.js';
import { validatePerMessageDeflateConfig, type PerMessageDeflateConfig } from '../src/rfc6455/permessage-deflate-params.js';

/** The `perMessageDeflate` option of the server (and of a Node-side client). */
export interface PerMessageDeflateOptions extends PerMessageDeflateConfig {
  /** Messages smaller than this many bytes are sent uncompressed. @default 1024 */
  readonly threshold?: number | undefined;
  /** zlib compression level, 0-9 or -1 for zlib's default (6). @default -1 */
  readonly level?: number | undefined;
  /** zlib memLevel 1-9: deflate state is about `2^(windowBits+2) + 2^(memLevel+9)` bytes. @default 8 */
  readonly memLevel?: number | undefined;
  /** zlib jobs in flight at once, across every connection that shares the limiter. @default 10 */
  readonly concurrency?: number | undefined;
}

/** {@link PerMessageDeflateOptions} with every default applied. */
export interface ResolvedPerMessageDeflateOptions extends PerMessageDeflateConfig {
  readonly threshold: number;
  readonly level: number;
  readonly memLevel: number;
  readonly concurrency: number;
}

/** Defaults of {@link PerMessageDeflateOptions}. */
export const DEFAULTS = Object.freeze({
  /** @default 1024 */
  threshold: 1024,
  /** @default -1 (zlib's default, 6) */
  level: constants.Z_DEFAULT_COMPRESSION,
  /** @default 8 */
  memLevel: 8,
  /** @default 10 */
  concurrency: LIMITER_DEFAULTS.limit,
});

/** @internal Throws `ERR_INVALID_ARGUMENT` unless `value` is an integer in `[min, max]`. */
export function checkInteger(name: string, value: number, min: number, max: number): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new TandemError(ErrorCodes.InvalidArgument, `perMessageDeflate.${name} must be an integer ${min}-${max}, got ${String(value)}`);
  }
}

/**
 * Normalises the `perMessageDeflate` option: `false`/`undefined` → `undefined` (off, the
 * default), `true` → defaults, an object → validated and completed.
 *
 * @throws {TandemError} `ERR_INVALID_ARGUMENT` on an out-of-range value.
 */
export function resolvePerMessageDeflateOptions(
  option: boolean | PerMessageDeflateOptions | undefined,
): ResolvedPerMessageDeflateOptions | undefined {
  if (option === undefined || option === false) return undefined;
  const given: PerMessageDeflateOptions = option === true ? {} : option;
  validatePerMessageDeflateConfig(given);
  const resolved: ResolvedPerMessageDeflateOptions = {
    serverNoContextTakeover: given.serverNoContextTakeover ?? false,
    clientNoContextTakeover: given.clientNoContextTakeover ?? false,
    serverMaxWindowBits: given.serverMaxWindowBits,
    clientMaxWindowBits: given.clientMaxWindowBits,
    threshold: given.threshold ?? DEFAULTS.threshold,
    level: given.level ?? DEFAULTS.level,
    memLevel: given.memLevel ?? DEFAULTS.memLevel,
    concurrency: given.concurrency ?? DEFAULTS.concurrency,
  };
  checkInteger('threshold', resolved.threshold, 0, Number.MAX_SAFE_INTEGER);
  checkInteger('level', resolved.level, -1, 9);
  checkInteger('memLevel', resolved.memLevel, 1, 9);
  checkInteger('concurrency', resolved.concurrency, 1, 1_000_000);
  return Object.freeze(resolved);
}

let sharedLimiter: ConcurrencyLimiter | undefined;

/** The process-wide limiter used when none is passed ({@link DEFAULTS}.concurrency slots). */
export function defaultLimiter(): ConcurrencyLimiter {
  sharedLimiter ??= new ConcurrencyLimiter();
  return sharedLimiter;
}

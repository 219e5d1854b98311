/**
 * Option validation shared by both ends: small checks that name the option they reject, so
 * `createClient(url, { requestTimeout: 'soon' })` fails at once with
 * `createClient: requestTimeout must be a positive number of milliseconds, got "soon"` instead of
 * misbehaving later. Unknown keys are left alone (TypeScript reports typos; other options may be
 * read by layers this file does not know).
 */
import { ErrorCodes, TandemTypeError } from './errors.js';

/** A check: `undefined` when `value` is acceptable, else what was expected ("a positive number"). */
export type Check = (value: unknown) => string | undefined;

/** Rules for one options object: option name → check (undefined values are always accepted). */
export type Rules = Readonly<Record<string, Check>>;

function show(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'function') return 'a function';
  if (Array.isArray(value)) return 'an array';
  if (value === null) return 'null';
  return typeof value === 'object' ? 'an object' : String(value);
}

/** Throws the `TypeError` (code `ERR_INVALID_ARGUMENT`) naming `scope` and `name`. */
export function invalidOption(scope: string, name: string, expected: string, value: unknown): never {
  throw new TandemTypeError(ErrorCodes.InvalidArgument, `${scope}: ${name} must be ${expected}, got ${show(value)}`);
}

/** Checks every rule of `rules` present in `options`; `prefix` names a nested object (`reconnect.`). */
export function checkOptions(scope: string, options: object, rules: Rules, prefix = ''): void {
  for (const name of Object.keys(rules)) {
    const value = (options as Record<string, unknown>)[name];
    if (value === undefined) continue;
    const expected = rules[name]!(value);
    if (expected !== undefined) invalidOption(scope, prefix + name, expected, value);
  }
}

/** An options argument: `undefined` or a plain object. */
export function checkOptionsObject(scope: string, name: string, options: unknown): void {
  if (options !== undefined && (typeof options !== 'object' || options === null || Array.isArray(options))) {
    invalidOption(scope, name, 'an object', options);
  }
}

/** Number checks, in milliseconds or counts. */
export const is = {
  /** > 0 and finite. */
  positiveMs: (v: unknown) => (typeof v === 'number' && v > 0 && Number.isFinite(v) ? undefined : 'a positive number of milliseconds'),
  /** ≥ 0 and finite. */
  nonNegativeMs: (v: unknown) => (typeof v === 'number' && v >= 0 && Number.isFinite(v) ? undefined : 'a number of milliseconds ≥ 0'),
  /** An integer ≥ `min`, or Infinity when `infinite`. */
  count:
    (min: number, infinite = false): Check =>
    (v) =>
      (typeof v === 'number' && v >= min && (Number.isSafeInteger(v) || (infinite && v === Infinity))) ? undefined : `an integer ≥ ${min}${infinite ? ' or Infinity' : ''}`,
  /** A number ≥ `min`. */
  atLeast:
    (min: number): Check =>
    (v) =>
      typeof v === 'number' && v >= min && Number.isFinite(v) ? undefined : `a number ≥ ${min}`,
  port: (v: unknown) => (typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 65535 ? undefined : 'an integer 0-65535'),
  boolean: (v: unknown) => (typeof v === 'boolean' ? undefined : 'a boolean'),
  string: (v: unknown) => (typeof v === 'string' ? undefined : 'a string'),
  function: (v: unknown) => (typeof v === 'function' ? undefined : 'a function'),
  object: (v: unknown) => (typeof v === 'object' && v !== null && !Array.isArray(v) ? undefined : 'an object'),
  stringList: (v: unknown) => (Array.isArray(v) && v.every((s) => typeof s === 'string') ? undefined : 'an array of strings'),
  /** An object with these methods (a codec, a scheduler…). */
  withMethods:
    (...methods: string[]): Check =>
    (v) =>
      typeof v === 'object' && v !== null && methods.every((m) => typeof (v as Record<string, unknown>)[m] === 'function')
        ? undefined
        : `an object with ${methods.join(', ')}`,
  /** Either `false` or what `check` accepts. */
  falseOr:
    (check: Check): Check =>
    (v) => {
      if (v === false) return undefined;
      const expected = check(v);
      return expected === undefined ? undefined : `false or ${expected}`;
    },
  /** One of the listed literals. */
  oneOf:
    (...values: readonly unknown[]): Check =>
    (v) =>
      values.includes(v) ? undefined : `one of ${values.map((x) => JSON.stringify(x)).join(', ')}`,
} as const;

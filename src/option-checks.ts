/**
 * Option validation shared by both ends: small checks that name the option they reject, so
 * `createClient(url, { requestTimeout: 'soon' })` fails at once with
 * `createClient: requestTimeout must be a positive number of milliseconds, got "soon"` instead of
 * misbehaving later. Unknown keys are left alone (TypeScript reports typos; other options may be
 * read by layers this file does not know). Rules are short kind names so the browser bundle pays
 * for one table of messages, not a closure per option, and only for the kinds the client uses.
 */
import { ErrorCodes, TandemTypeError } from './errors.js';

/** A kind of option: what it must be (the error message's "must be …") and the test. */
export type KindSpec = readonly [expected: string, fits: (value: unknown) => boolean];

const isObject = (v: unknown): v is object => typeof v === 'object' && v !== null && !Array.isArray(v);
const finite = (ok: (n: number) => boolean) => (v: unknown) => typeof v === 'number' && Number.isFinite(v) && ok(v);
const count = (min: number) => (v: unknown) => Number.isSafeInteger(v) && (v as number) >= min;
const int0 = count(0);

/**
 * The kinds both ends use. The client checks against this table alone, so the browser bundle
 * carries neither the server's kinds nor their messages.
 */
export const SHARED_KINDS = {
  ms: ['a positive number of milliseconds', finite((n) => n > 0)],
  ms0: ['a number of milliseconds ≥ 0', finite((n) => n >= 0)],
  int0: ['an integer ≥ 0', int0],
  int0inf: ['an integer ≥ 0 or Infinity', (v) => v === Infinity || int0(v)],
  ge1: ['a number ≥ 1', finite((n) => n >= 1)],
  fn: ['a function', (v) => typeof v === 'function'],
  obj: ['an object', isObject],
  falseOrObj: ['false or an object', (v) => v === false || isObject(v)],
} as const satisfies Readonly<Record<string, KindSpec>>;

const KINDS = {
  ...SHARED_KINDS,
  int1: ['an integer ≥ 1', count(1)],
  port: ['an integer 0-65535', (v) => Number.isInteger(v) && (v as number) >= 0 && (v as number) <= 65535],
  bool: ['a boolean', (v) => typeof v === 'boolean'],
  str: ['a string', (v) => typeof v === 'string'],
  strs: ['an array of strings', (v) => Array.isArray(v) && v.every((s) => typeof s === 'string')],
} as const satisfies Readonly<Record<string, KindSpec>>;

/** A kind from the tables above. */
export type Kind = keyof typeof KINDS;

/** A custom check: `undefined` when `value` is acceptable, else what was expected. */
export type Check = (value: unknown) => string | undefined;

/** Rules for one options object: option name → kind or check (undefined values always pass). */
export type Rules<K extends string = Kind> = Readonly<Record<string, K | Check>>;

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

/** The signature of {@link checkOptions}, over the kinds `K`. */
export type OptionChecker<K extends string> = (scope: string, options: unknown, rules: Rules<K>, prefix?: string, what?: string) => void;

/**
 * A checker over the kinds in `kinds`: checks `options` (which must be an object) against
 * `rules`; `prefix` names a nested object (`reconnect.`), `what` says what the options must be.
 */
export function optionChecker<K extends string>(kinds: Readonly<Record<K, KindSpec>>): OptionChecker<K> {
  return (scope, options, rules, prefix = '', what = 'an object') => {
    if (!isObject(options)) invalidOption(scope, prefix === '' ? 'options' : prefix.slice(0, -1), what, options);
    for (const name in rules) {
      const value = (options as Record<string, unknown>)[name];
      if (value === undefined) continue;
      const rule = rules[name]!;
      const expected = typeof rule === 'function' ? rule(value) : kinds[rule][1](value) ? undefined : kinds[rule][0];
      if (expected !== undefined) invalidOption(scope, prefix + name, expected, value);
    }
  };
}

/** Checks options against every kind (see {@link optionChecker}). */
export const checkOptions: OptionChecker<Kind> = /* @__PURE__ */ optionChecker(KINDS);

/** A check for an object with these methods (a codec, a scheduler, an http.Server…). */
export const withMethods =
  (...methods: string[]): Check =>
  (v) =>
    isObject(v) && methods.every((m) => typeof (v as Record<string, unknown>)[m] === 'function') ? undefined : `an object with ${methods.join(', ')}`;

/** A check for one of the listed strings. */
export const oneOf =
  (...values: readonly string[]): Check =>
  (v) =>
    values.includes(v as string) ? undefined : `one of ${values.map((x) => JSON.stringify(x)).join(', ')}`;

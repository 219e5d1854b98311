/**
 * Option validation shared by both ends: small checks that name the option they reject, so
 * `createClient(url, { requestTimeout: 'soon' })` fails at once with
 * `createClient: requestTimeout must be a positive number of milliseconds, got "soon"` instead of
 * misbehaving later. Unknown keys are left alone (TypeScript reports typos; other options may be
 * read by layers this file does not know). Rules are short kind names so the browser bundle pays
 * for one table of messages, not a closure per option.
 */
import { ErrorCodes, TandemTypeError } from './errors.js';

/** What each kind of option must be (the error message's "must be …"). */
const EXPECTED = {
  ms: 'a positive number of milliseconds',
  ms0: 'a number of milliseconds ≥ 0',
  int0: 'an integer ≥ 0',
  int1: 'an integer ≥ 1',
  int0inf: 'an integer ≥ 0 or Infinity',
  ge1: 'a number ≥ 1',
  port: 'an integer 0-65535',
  bool: 'a boolean',
  str: 'a string',
  fn: 'a function',
  obj: 'an object',
  strs: 'an array of strings',
  falseOrObj: 'false or an object',
} as const;

/** A kind from the table above. */
export type Kind = keyof typeof EXPECTED;

/** A custom check: `undefined` when `value` is acceptable, else what was expected. */
export type Check = (value: unknown) => string | undefined;

/** Rules for one options object: option name → kind or check (undefined values always pass). */
export type Rules = Readonly<Record<string, Kind | Check>>;

const isObject = (v: unknown): v is object => typeof v === 'object' && v !== null && !Array.isArray(v);
const isNumber = (v: unknown): v is number => typeof v === 'number' && !Number.isNaN(v);

function fits(kind: Kind, v: unknown): boolean {
  switch (kind) {
    case 'ms':
      return isNumber(v) && v > 0 && v < Infinity;
    case 'ms0':
      return isNumber(v) && v >= 0 && v < Infinity;
    case 'int0':
    case 'int1':
      return Number.isSafeInteger(v) && (v as number) >= (kind === 'int1' ? 1 : 0);
    case 'int0inf':
      return v === Infinity || (Number.isSafeInteger(v) && (v as number) >= 0);
    case 'ge1':
      return isNumber(v) && v >= 1 && v < Infinity;
    case 'port':
      return Number.isInteger(v) && (v as number) >= 0 && (v as number) <= 65535;
    case 'bool':
      return typeof v === 'boolean';
    case 'str':
      return typeof v === 'string';
    case 'fn':
      return typeof v === 'function';
    case 'obj':
      return isObject(v);
    case 'strs':
      return Array.isArray(v) && v.every((s) => typeof s === 'string');
    case 'falseOrObj':
      return v === false || isObject(v);
  }
}

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

/**
 * Checks `options` (which must be an object, or `undefined` when `optional`) against `rules`;
 * `prefix` names a nested object (`reconnect.`).
 */
export function checkOptions(scope: string, options: unknown, rules: Rules, prefix = '', what = 'an object'): void {
  if (!isObject(options)) invalidOption(scope, prefix === '' ? 'options' : prefix.slice(0, -1), what, options);
  for (const name in rules) {
    const value = (options as Record<string, unknown>)[name];
    if (value === undefined) continue;
    const rule = rules[name]!;
    const expected = typeof rule === 'function' ? rule(value) : fits(rule, value) ? undefined : EXPECTED[rule];
    if (expected !== undefined) invalidOption(scope, prefix + name, expected, value);
  }
}

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

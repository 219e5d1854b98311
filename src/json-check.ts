/**
 * What JSON cannot carry. `JSON.stringify` throws on a BigInt or a cycle without saying where,
 * and silently drops or mangles the rest: a function or symbol vanishes, `undefined` becomes
 * `null` in an array, NaN and ±Infinity become `null`, a Map, Set, RegExp or Error becomes `{}`.
 * The JSON codec refuses all of these with an error naming the message and the path of the bad
 * value (`event "move": payload.at is a BigInt`). An object's `undefined` field is not among
 * them: JSON omits it, and in this protocol an absent field equals undefined (docs/protocol.md §2).
 */
import { ErrorCodes, TandemTypeError } from './errors.js';

// Objects that serialise to `{}` (or nothing useful); found by tag, so other realms count too.
const LOSSY_TAGS: Readonly<Record<string, string>> = {
  '[object Map]': 'a Map',
  '[object Set]': 'a Set',
  '[object WeakMap]': 'a WeakMap',
  '[object WeakSet]': 'a WeakSet',
  '[object RegExp]': 'a RegExp',
  '[object Promise]': 'a Promise',
  '[object Error]': 'an Error',
};

/**
 * What is wrong with `value` as a JSON value, or `undefined` when JSON carries it (after its
 * `toJSON`, which the caller applies). Plain objects and arrays are judged by their contents.
 * `undefined` itself is refused here; callers let it pass as an object's field (omitted).
 */
export function unserializable(value: unknown): string | undefined {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return undefined;
    case 'number':
      return Number.isFinite(value) ? undefined : `${String(value)} (JSON has no such number)`;
    case 'undefined':
      return 'undefined (JSON turns it into null in an array: send null)';
    case 'bigint':
      return 'a BigInt';
    case 'function':
      return 'a function';
    case 'symbol':
      return 'a symbol';
    case 'object': {
      if (value === null) return undefined;
      const proto = Object.getPrototypeOf(value) as unknown;
      if (proto === Object.prototype || proto === null || Array.isArray(value)) return undefined;
      return LOSSY_TAGS[Object.prototype.toString.call(value)];
    }
    default:
      return undefined;
  }
}

/** Is `value` an ArrayBuffer, from any realm (iframe, jsdom, vm), where `instanceof` fails? */
export function isArrayBuffer(value: unknown): value is ArrayBuffer {
  return Object.prototype.toString.call(value) === '[object ArrayBuffer]';
}

/**
 * Binary data (a typed array, a DataView or an ArrayBuffer, from any realm) as a Uint8Array over
 * the same memory, never a copy; `undefined` for anything else. The codec and the transport share it.
 */
export function bytesOf(value: unknown): Uint8Array | undefined {
  if (ArrayBuffer.isView(value)) return new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
  return isArrayBuffer(value) ? new Uint8Array(value) : undefined;
}

const isBinary = (value: unknown): boolean => bytesOf(value) !== undefined;

function step(path: string, key: string, isArray: boolean): string {
  return isArray ? `${path}[${key}]` : /^[A-Za-z_$][\w$]*$/.test(key) ? `${path}.${key}` : `${path}[${JSON.stringify(key)}]`;
}

interface Frame {
  readonly value: object;
  readonly path: string;
  readonly keys: string[];
  next: number;
}

/**
 * The first value under `root` that JSON cannot carry, with its path (`payload.items[3].at`), or
 * `undefined`. Iterative (a 100,000-level payload does not overflow the stack); a cycle is an
 * object met again among its own ancestors (a shared, acyclic reference is fine).
 */
export function findUnserializable(root: unknown, rootPath: string): { path: string; problem: string } | undefined {
  const stack: Frame[] = [];
  const ancestors = new Set<object>();
  const visit = (raw: unknown, path: string, key: string, inArray: boolean): { path: string; problem: string } | undefined => {
    const value = typeof (raw as { toJSON?: unknown } | null)?.toJSON === 'function' && !isBinary(raw) ? (raw as { toJSON(k: string): unknown }).toJSON(key) : raw;
    if (value === undefined && !inArray) return undefined; // an object's undefined field: omitted
    const problem = unserializable(value);
    if (problem !== undefined) return { path, problem };
    if (typeof value !== 'object' || value === null || isBinary(value)) return undefined;
    if (ancestors.has(value)) return { path, problem: 'a circular reference' };
    ancestors.add(value);
    stack.push({ value, path, keys: Object.keys(value), next: 0 });
    return undefined;
  };
  const first = visit(root, rootPath, '', false); // the root is an envelope field
  if (first !== undefined) return first;
  while (stack.length > 0) {
    const frame = stack[stack.length - 1]!;
    if (frame.next >= frame.keys.length) {
      ancestors.delete(frame.value);
      stack.pop();
      continue;
    }
    const key = frame.keys[frame.next++]!;
    const inArray = Array.isArray(frame.value);
    const found = visit((frame.value as Record<string, unknown>)[key], step(frame.path, key, inArray), key, inArray);
    if (found !== undefined) return found;
  }
  return undefined;
}

/** Names a message for errors: `event "chat"`, `request "join"`, `response to request 7`. */
export function describeMessage(envelope: { type: string; name?: string; id?: number }): string {
  if (envelope.type === 'event' || envelope.type === 'request') return `${envelope.type} "${String(envelope.name)}"`;
  if (envelope.type === 'response' || envelope.type === 'error') return `${envelope.type} to request ${String(envelope.id)}`;
  return `${envelope.type} envelope`;
}

/** The `TypeError` (code `ERR_UNSERIALIZABLE_PAYLOAD`) for a value JSON cannot carry. */
export function unserializableError(message: string, found: { path: string; problem: string }, cause?: unknown): TandemTypeError {
  return new TandemTypeError(ErrorCodes.UnserializablePayload, `${message}: ${found.path} is ${found.problem}; JSON cannot carry it`, { cause });
}

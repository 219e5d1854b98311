/**
 * `createServer({ resume })`: the bounds of session resume (docs/protocol.md §10.4) and where
 * sessions are kept. On by default; `resume: false` gives the plain v1 server.
 */
import { ErrorCodes, TandemError } from '../../../src/errors.js';
import type { SessionStoreFactory } from './session-store.js';
import { memorySessionStore } from './memory-session-store.js';

/** Options of session resume on the server. */
export interface ResumeOptions {
  /** How long a suspended session waits for its client to come back, in ms. @default 120000 */
  readonly window?: number;
  /** Most envelopes one session keeps unacknowledged; past it the session cannot be resumed. @default 10000 */
  readonly maxBuffered?: number;
  /**
   * Most bytes one session keeps unacknowledged (as re-sent); past it, as `maxBuffered`. A resume
   * writes the whole log at once: keep it well below `backpressure.highWaterMark`, or a client
   * catching up looks like a slow consumer. @default 524288 (512 KiB)
   */
  readonly maxBufferedBytes?: number;
  /** Most sessions suspended at once; at the cap the oldest one ends (as an overflow). @default 10000 */
  readonly maxSuspended?: number;
  /**
   * Most bytes all sessions' logs hold in memory together (a broadcast body counted once); past it
   * the largest log is dropped (that session can no longer be resumed). @default 268435456 (256 MiB)
   */
  readonly maxTotalBufferedBytes?: number;
  /**
   * Is the identity a resuming hello authenticated as the session's owner? A different identity
   * gets a new session (`reason: "identity"`); the owner's session is untouched.
   * @default same JSON (`Object.is`, else equal `JSON.stringify`)
   */
  readonly sameIdentity?: (owner: unknown, claimant: unknown) => boolean;
  /** Where sessions are kept beyond this process. @default memorySessionStore */
  readonly store?: SessionStoreFactory;
}

/** {@link ResumeOptions} with every default applied. */
export interface ResumePolicy {
  readonly window: number;
  readonly maxBuffered: number;
  readonly maxBufferedBytes: number;
  readonly maxSuspended: number;
  readonly maxTotalBufferedBytes: number;
  readonly sameIdentity: (owner: unknown, claimant: unknown) => boolean;
  readonly store: SessionStoreFactory;
}

/** Defaults of {@link ResumeOptions}. */
export const RESUME_DEFAULTS = Object.freeze({
  /** @default 120000 */
  window: 120_000,
  /** @default 10000 */
  maxBuffered: 10_000,
  /** @default 524288 */
  maxBufferedBytes: 512 * 1024,
  /** @default 10000 */
  maxSuspended: 10_000,
  /** @default 268435456 */
  maxTotalBufferedBytes: 256 * 1024 * 1024,
});

/** The default identity check: the same value, or the same JSON. */
export function sameJson(owner: unknown, claimant: unknown): boolean {
  if (Object.is(owner, claimant)) return true;
  try {
    return JSON.stringify(owner) === JSON.stringify(claimant);
  } catch {
    return false; // not serialisable (a cycle…): only the very same value matches
  }
}

/** Longest timer delay Node accepts (a longer one fires at once). */
const MAX_DELAY = 2 ** 31 - 1;

function count(name: string, value: number, min: number, max = Infinity): number {
  // A bad bound is local misuse: thrown at createServer, not discovered at the first drop.
  const ok = typeof value === 'number' && value >= min && value <= max && (Number.isSafeInteger(value) || value === Infinity);
  if (!ok) throw new TandemError(ErrorCodes.InvalidArgument, `resume.${name} must be an integer in [${min}, ${max}], got ${String(value)}`);
  return value;
}

/** Applies the defaults and checks the numbers; `undefined` when resume is off. */
export function resumePolicy(options: ResumeOptions | false | undefined): ResumePolicy | undefined {
  if (options === false) return undefined;
  const o = options ?? {};
  return {
    window: count('window', o.window ?? RESUME_DEFAULTS.window, 1, MAX_DELAY),
    maxBuffered: count('maxBuffered', o.maxBuffered ?? RESUME_DEFAULTS.maxBuffered, 1),
    maxBufferedBytes: count('maxBufferedBytes', o.maxBufferedBytes ?? RESUME_DEFAULTS.maxBufferedBytes, 1),
    maxSuspended: count('maxSuspended', o.maxSuspended ?? RESUME_DEFAULTS.maxSuspended, 0),
    maxTotalBufferedBytes: count('maxTotalBufferedBytes', o.maxTotalBufferedBytes ?? RESUME_DEFAULTS.maxTotalBufferedBytes, 1),
    sameIdentity: o.sameIdentity ?? sameJson,
    store: o.store ?? memorySessionStore,
  };
}

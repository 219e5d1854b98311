/**
 * The slow-consumer policy, as data and pure decisions. A peer whose socket does not drain (a
 * client that stopped reading, a congested mobile link) would make the server buffer without
 * bound; past a high-water mark of buffered bytes the server drops what may be dropped and closes
 * what cannot keep up, so memory per peer stays bounded by roughly `maxBufferedBytes` plus one
 * message.
 */
import { ErrorCodes, TandemError, TandemTypeError } from '../../src/errors.js';
import { assertNever } from '../../src/assert-never.js';

/**
 * What happens past the high-water mark:
 * - `'close'`: close the peer with 1013 "try again later" and a reason (volatile events are
 *   dropped before that, as always).
 * - `'drop-volatile'`: keep the peer; drop volatile events while above the mark, write the rest,
 *   and close with 1013 only past the hard `maxBufferedBytes` cap.
 */
export type SlowConsumerPolicy = 'close' | 'drop-volatile';

/** Options of the backpressure policy (`createServer({ backpressure })`). */
export interface BackpressureOptions {
  /** Buffered bytes above which a peer counts as slow. @default 1048576 (1 MiB) */
  readonly highWaterMark?: number;
  /** @default 'close' */
  readonly policy?: SlowConsumerPolicy;
  /** Hard cap for `'drop-volatile'`: past it the peer is closed anyway. @default 4 × highWaterMark */
  readonly maxBufferedBytes?: number;
}

/** {@link BackpressureOptions} with every default applied. */
export interface BackpressurePolicy {
  readonly highWaterMark: number;
  readonly policy: SlowConsumerPolicy;
  readonly maxBufferedBytes: number;
}

/** Defaults of {@link BackpressureOptions}. */
export const BACKPRESSURE_DEFAULTS = Object.freeze({
  /** @default 1048576 */
  highWaterMark: 1024 * 1024,
  /** @default 'close' */
  policy: 'close' as SlowConsumerPolicy,
});

/** Applies the defaults (and checks the numbers: a bad limit is local misuse). */
export function backpressurePolicy(options: BackpressureOptions = {}): BackpressurePolicy {
  const highWaterMark = options.highWaterMark ?? BACKPRESSURE_DEFAULTS.highWaterMark;
  const maxBufferedBytes = options.maxBufferedBytes ?? highWaterMark * 4;
  if (!(highWaterMark > 0) || !(maxBufferedBytes >= highWaterMark)) {
    throw new TandemTypeError(ErrorCodes.InvalidArgument, 'createServer: backpressure needs 0 < highWaterMark <= maxBufferedBytes');
  }
  return { highWaterMark, policy: options.policy ?? BACKPRESSURE_DEFAULTS.policy, maxBufferedBytes };
}

/** Before a write: `'write'` it, or `'drop'` it (a volatile message to a peer that is behind). */
export function beforeWrite(policy: BackpressurePolicy, bufferedAmount: number, volatile: boolean): 'write' | 'drop' {
  return volatile && bufferedAmount >= policy.highWaterMark ? 'drop' : 'write';
}

/** After a write: is the peer now a slow consumer that must be closed? */
export function isSlowConsumer(policy: BackpressurePolicy, bufferedAmount: number): boolean {
  switch (policy.policy) {
    case 'close':
      return bufferedAmount > policy.highWaterMark;
    case 'drop-volatile':
      return bufferedAmount > policy.maxBufferedBytes;
    default: {
      return assertNever(policy.policy);
    }
  }
}

/** The close reason sent to a slow consumer (short: close reasons hold at most 123 bytes). */
export function slowConsumerReason(bufferedAmount: number): string {
  return `slow consumer: ${bufferedAmount} bytes buffered`;
}

/**
 * What the server reports (`'error'` on the server and the peer) when it closes a slow consumer:
 * a {@link TandemError} with code `ERR_SLOW_CONSUMER` and the close reason as its message.
 */
export function slowConsumerError(bufferedAmount: number): TandemError {
  return new TandemError(ErrorCodes.SlowConsumer, slowConsumerReason(bufferedAmount));
}

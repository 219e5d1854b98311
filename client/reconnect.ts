import { backoffDelay, restartDelay } from '../src/backoff.js';
import type { BackoffPolicy } from '../src/backoff.js';
import { CloseCodes, isFatalCloseCode } from '../src/close-codes.js';

/** Reconnect options: the backoff policy plus which close codes end the client for good. */
export interface ReconnectOptions extends Partial<BackoffPolicy> {
  /**
   * Close codes after which the client stops for good.
   * @default isFatalCloseCode (1008 and 4400-4499)
   */
  isFatal?: (code: number) => boolean;
}

/** What to do after a connection closed or an attempt failed. */
export type ReconnectDecision = { kind: 'stop' } | { kind: 'retry'; delay: number };

/**
 * Decides the next step after a close with `code`, `attempt` retries into the current outage.
 * "Do not come back" codes stop; a server's restart hint (1012 / 1013) spreads the retry over
 * the restart window so clients do not return all at once; anything else backs off.
 */
export function decideReconnect(
  policy: BackoffPolicy,
  code: number,
  attempt: number,
  random: () => number,
  isFatal: (code: number) => boolean = isFatalCloseCode,
): ReconnectDecision {
  // docs/protocol.md §10.3: another connection took the session over; coming back would steal it back.
  if (code === CloseCodes.SessionTakenOver || isFatal(code) || attempt >= policy.maxRetries) return { kind: 'stop' };
  const restart = code === CloseCodes.ServiceRestart || code === CloseCodes.TryAgainLater;
  // backoffDelay is only undefined past maxRetries, excluded above.
  return { kind: 'retry', delay: restart ? restartDelay(policy, random) : (backoffDelay(policy, attempt, random) as number) };
}

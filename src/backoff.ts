/**
 * Reconnect backoff: plain data plus pure functions, `random` injected.
 *
 * Defaults, after reading socket.io-client (500 ms → 5 s, factor 2, ±50 % jitter, reset on every
 * connect) and partysocket (1-5 s, factor 1.3, max 10 s, reset after 5 s up): Tandem goes further
 * out (30 s) so a fleet does not hammer a server that is down for minutes, uses full jitter
 * (spreads a reconnect storm best), and only resets after the link stayed up, so a server that
 * accepts and drops at once is not retried at full speed.
 */
export interface BackoffPolicy {
  /** Shortest wait before a retry, in ms. @default 500 */
  minDelay: number;
  /** Longest wait, in ms. @default 30000 */
  maxDelay: number;
  /** Growth of the upper bound per failed attempt. @default 2 */
  factor: number;
  /** Retries before giving up for good. @default Infinity */
  maxRetries: number;
  /** A connection that stayed open this long (ms) resets the attempt count. @default 5000 */
  resetAfter: number;
  /** Spread of retries after a 1012 / 1013 close (ms): uniform in [minDelay, restartWindow]. @default 15000 */
  restartWindow: number;
}

/** The default {@link BackoffPolicy}. */
export const BACKOFF_DEFAULTS: Readonly<BackoffPolicy> = Object.freeze({
  minDelay: 500,
  maxDelay: 30_000,
  factor: 2,
  maxRetries: Infinity,
  resetAfter: 5_000,
  restartWindow: 15_000,
});

/** A full policy from partial options. */
export function backoffPolicy(options: Partial<BackoffPolicy> = {}): BackoffPolicy {
  return { ...BACKOFF_DEFAULTS, ...options };
}

/** Upper bound of the wait before retry `attempt` (0-based): min(maxDelay, minDelay · factor^(attempt+1)). */
export function backoffCeiling(policy: BackoffPolicy, attempt: number): number {
  return Math.min(policy.maxDelay, policy.minDelay * policy.factor ** (attempt + 1));
}

/**
 * Wait before retry `attempt` (0 = first retry), full jitter: uniform in [minDelay, ceiling].
 * `undefined` once `maxRetries` retries have been made.
 */
export function backoffDelay(policy: BackoffPolicy, attempt: number, random: () => number): number | undefined {
  return attempt >= policy.maxRetries ? undefined : jitter(policy, backoffCeiling(policy, attempt), random);
}

// Uniform in [minDelay, max(minDelay, upper)]: the one jitter rule of both delays.
function jitter(policy: BackoffPolicy, upper: number, random: () => number): number {
  return policy.minDelay + random() * (Math.max(policy.minDelay, upper) - policy.minDelay);
}

/** Wait after the server's "restarting / try later" hint (1012 / 1013): spread over the restart window. */
export function restartDelay(policy: BackoffPolicy, random: () => number): number {
  return jitter(policy, policy.restartWindow, random);
}

/** The attempt count to use after a connection that was open for `uptimeMs` closed. */
export function attemptAfterUptime(policy: BackoffPolicy, attempt: number, uptimeMs: number): number {
  return uptimeMs >= policy.resetAfter ? 0 : attempt;
}

/**
 * `createServer(options)` checks its options before anything starts: no argument, or an option
 * of the wrong type or range, throws a `TypeError` (code `ERR_INVALID_ARGUMENT`) naming it
 * (`createServer: requestTimeout must be a positive number of milliseconds, got "soon"`).
 */
import { checkOptions, is } from '../../src/option-checks.js';
import type { Rules } from '../../src/option-checks.js';
import { LISTEN_RULES, checkListenMode } from '../socket/validate-options.js';

const SCOPE = 'createServer';

const SERVER_RULES: Rules = {
  ...LISTEN_RULES,
  authenticate: is.function,
  authenticateHello: is.function,
  handshakeTimeout: is.positiveMs,
  maxConnections: is.count(0, true),
  maxMessageBytes: is.count(1),
  schemas: is.object,
  codec: is.withMethods('encode', 'decode'),
  helloTimeout: is.positiveMs,
  requestTimeout: is.positiveMs,
  maxPendingRequests: is.count(1),
  heartbeat: is.falseOr(is.object),
  backpressure: is.object,
  adapter: is.function,
  closeTimeout: is.positiveMs,
  scheduler: is.withMethods('now', 'setTimeout', 'clearTimeout'),
};

const HEARTBEAT_RULES: Rules = { interval: is.positiveMs, timeout: is.positiveMs };
const BACKPRESSURE_RULES: Rules = {
  highWaterMark: is.count(1),
  maxBufferedBytes: is.count(1),
  policy: is.oneOf('close', 'drop-volatile'),
};

/** Throws for a missing or bad `createServer` option. */
export function validateServerOptions(options: unknown): void {
  checkListenMode(SCOPE, options);
  const { heartbeat, backpressure } = options as { heartbeat?: unknown; backpressure?: unknown };
  checkOptions(SCOPE, options as object, SERVER_RULES);
  if (typeof heartbeat === 'object' && heartbeat !== null) checkOptions(SCOPE, heartbeat, HEARTBEAT_RULES, 'heartbeat.');
  if (typeof backpressure === 'object' && backpressure !== null) checkOptions(SCOPE, backpressure, BACKPRESSURE_RULES, 'backpressure.');
}

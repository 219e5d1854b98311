/**
 * `createServer(options)` checks its options before anything starts: no argument, or an option
 * of the wrong type or range, throws a `TypeError` (code `ERR_INVALID_ARGUMENT`) naming it
 * (`createServer: requestTimeout must be a positive number of milliseconds, got "soon"`).
 */
import { checkOptions, oneOf, withMethods } from '../../src/option-checks.js';
import type { Rules } from '../../src/option-checks.js';
import { LISTEN_MODE, LISTEN_RULES } from '../socket/validate-options.js';

const SCOPE = 'createServer';

const SERVER_RULES: Rules = {
  ...LISTEN_RULES,
  authenticate: 'fn',
  authenticateHello: 'fn',
  handshakeTimeout: 'ms',
  maxConnections: 'int0inf',
  maxMessageBytes: 'int1',
  schemas: 'obj',
  codec: withMethods('encode', 'decode'),
  helloTimeout: 'ms',
  requestTimeout: 'ms',
  maxPendingRequests: 'int1',
  heartbeat: 'falseOrObj',
  backpressure: 'obj',
  adapter: 'fn',
  closeTimeout: 'ms',
  scheduler: withMethods('now', 'setTimeout', 'clearTimeout'),
};

const HEARTBEAT_RULES: Rules = { interval: 'ms', timeout: 'ms' };
const BACKPRESSURE_RULES: Rules = { highWaterMark: 'int1', maxBufferedBytes: 'int1', policy: oneOf('close', 'drop-volatile') };

/** Throws for a missing or bad `createServer` option. */
export function validateServerOptions(options: unknown): void {
  checkOptions(SCOPE, options, SERVER_RULES, '', LISTEN_MODE);
  const { heartbeat, backpressure } = options as { heartbeat?: unknown; backpressure?: unknown };
  if (heartbeat) checkOptions(SCOPE, heartbeat, HEARTBEAT_RULES, 'heartbeat.');
  if (backpressure) checkOptions(SCOPE, backpressure, BACKPRESSURE_RULES, 'backpressure.');
}

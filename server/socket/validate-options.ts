/**
 * `new WebSocketServer(options)` checks its options before it listens: a wrong type or range
 * throws a `TypeError` (code `ERR_INVALID_ARGUMENT`) naming the option. (permessage-deflate's own
 * fields are checked by its option parser.)
 */
import { checkOptions, withMethods } from '../../src/option-checks.js';
import type { Rules } from '../../src/option-checks.js';

/** Where to listen: shared by `WebSocketServer` and `createServer`. */
export const LISTEN_RULES: Rules = {
  port: 'port',
  host: 'str',
  server: withMethods('on', 'off'),
  noServer: 'bool',
  path: (v) => (typeof v === 'string' && v.startsWith('/') ? undefined : 'a path starting with "/"'),
  origins: 'strs',
  tls: (v) => (typeof v === 'object' && v !== null && !Array.isArray(v) ? undefined : 'an object of TLS options (key, cert, …)'),
  http2: 'bool',
  perMessageDeflate: (v) => (typeof v === 'boolean' || (typeof v === 'object' && v !== null && !Array.isArray(v)) ? undefined : 'a boolean or an object'),
};

const WSS_RULES: Rules = {
  ...LISTEN_RULES,
  maxPayload: 'int1',
  maxFragments: 'int1',
  handshakeTimeoutMs: 'ms',
  closeTimeoutMs: 'ms',
  maxHeaderBytes: 'int1',
  handleProtocols: 'fn',
  verifyClient: 'fn',
  negotiateExtensions: 'fn',
};

/** What a missing or non-object options argument is told to be. */
export const LISTEN_MODE = 'an object with one of port, server or noServer';

/** Throws for a bad `WebSocketServer` option. */
export function validateWebSocketServerOptions(options: unknown): void {
  checkOptions('WebSocketServer', options, WSS_RULES, '', LISTEN_MODE);
}

/**
 * `new WebSocketServer(options)` checks its options before it listens: a wrong type or range
 * throws a `TypeError` (code `ERR_INVALID_ARGUMENT`) naming the option. (permessage-deflate's own
 * fields are checked by its option parser.)
 */
import { checkOptions, invalidOption, is } from '../../src/option-checks.js';
import type { Check, Rules } from '../../src/option-checks.js';

const booleanOrObject: Check = (v) => (typeof v === 'boolean' || is.object(v) === undefined ? undefined : 'a boolean or an object');
const path: Check = (v) => (typeof v === 'string' && v.startsWith('/') ? undefined : 'a path starting with "/"');

/** Where to listen: shared by `WebSocketServer` and `createServer`. */
export const LISTEN_RULES: Rules = {
  port: is.port,
  host: is.string,
  server: is.withMethods('on', 'off'),
  noServer: is.boolean,
  path,
  origins: is.stringList,
  perMessageDeflate: booleanOrObject,
};

const WSS_RULES: Rules = {
  ...LISTEN_RULES,
  maxPayload: is.count(1),
  maxFragments: is.count(1),
  handshakeTimeoutMs: is.positiveMs,
  closeTimeoutMs: is.positiveMs,
  maxHeaderBytes: is.count(1),
  handleProtocols: is.function,
  verifyClient: is.function,
  negotiateExtensions: is.function,
};

/** Throws unless `options` is an object with exactly one of `port`, `server`, `noServer: true`. */
export function checkListenMode(scope: string, options: unknown): void {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    invalidOption(scope, 'options', 'an object with one of port, server or noServer', options);
  }
}

/** Throws for a bad `WebSocketServer` option. */
export function validateWebSocketServerOptions(options: unknown): void {
  checkListenMode('WebSocketServer', options);
  checkOptions('WebSocketServer', options as object, WSS_RULES);
}

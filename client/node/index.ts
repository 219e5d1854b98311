/**
 * `tandem/client` under Node (the package's `node` export condition): everything the browser
 * entry exports, plus Tandem's own {@link WebSocket} on the sans-I/O engine, which `createClient`
 * and `TandemClient` use by default — so the typed client works in Node with no `ws` package.
 * The browser build and the UMD never reach this file.
 */
import { TandemClient as CoreClient } from '../client.js';
import type { ClientOptions, UrlSource } from '../options.js';
import type { ContractShape } from '../../src/contract.js';
import { WebSocket } from './websocket.js';

export * from '../index.js';
export { WebSocket } from './websocket.js';
export type { BinaryType } from './websocket.js';
export { CloseEvent, ErrorEvent, MessageEvent } from './events.js';
export { NODE_WEBSOCKET_DEFAULTS } from './options.js';
export type { NodeWebSocketOptions } from './options.js';
export { HandshakeError } from '../../src/rfc6455/upgrade-client.js';

/** The typed client; under Node its default transport is Tandem's {@link WebSocket} (the `WebSocket` option still wins). */
export class TandemClient<C extends ContractShape = ContractShape> extends CoreClient<C> {
  constructor(url: UrlSource, options: ClientOptions<C> = {}) {
    super(url, options.WebSocket === undefined ? { ...options, WebSocket } : options);
  }
}

/** Creates a client for contract `C` and starts connecting, over Tandem's own WebSocket unless `options.WebSocket` is given. */
export function createClient<C extends ContractShape = ContractShape>(url: UrlSource, options: ClientOptions<C> = {}): TandemClient<C> {
  return new TandemClient<C>(url, options);
}

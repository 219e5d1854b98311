/**
 * `tandem/client`: the browser client (also the UMD global `Tandem`). Re-exports the parts of
 * the shared protocol a browser application uses; the RFC 6455 engine is never part of it.
 */
export { createClient, TandemClient } from './client.js';
export type { RequestArgs } from './client.js';
export { CLIENT_DEFAULTS } from './options.js';
export type { ClientOptions, ClientState, CloseInfo, LifecycleEvents, NetworkEvents, OpenInfo, UrlSource } from './options.js';
export { ResumeFailures } from '../src/envelope.js';
export type { ResumeFailure } from '../src/envelope.js';
export { QueueFullError } from './queue.js';
export { ConnectionError } from './connection-error.js';
export type { ReconnectOptions } from './reconnect.js';
export type { WebSocketConstructor, WebSocketLike } from './transport.js';
export { CloseCodes, isFatalCloseCode } from '../src/close-codes.js';
export type { CloseCode } from '../src/close-codes.js';
export { ErrorCodes, ProtocolError, StateError, TandemError, TandemTypeError, closeCodeOf, isProtocolError } from '../src/errors.js';
export { DisconnectedError, RequestError, RequestErrorCodes, isRequestError } from '../src/requests.js';
export type { AbortSignalLike, RequestOptions } from '../src/requests.js';
export { PayloadValidationError, defineContract } from '../src/validate.js';
export type { ContractSchemas, InferContract, StandardSchemaV1 } from '../src/validate.js';
export { jsonCodec } from '../src/codec.js';
export type { Codec } from '../src/codec.js';
export type * from '../src/contract.js';
export type { Envelope } from '../src/envelope.js';
export type { HeartbeatPolicy } from '../src/heartbeat.js';
export type { BackoffPolicy } from '../src/backoff.js';

/**
 * `tandem`: the shared protocol module. Pure TypeScript, no I/O; imported by both ends.
 * (The RFC 6455 engine in ./rfc6455 is deliberately not re-exported: the browser never needs it.)
 */
export * from './close-codes.js';
export * from './errors.js';
export * from './scheduler.js';
export * from './envelope.js';
export * from './codec.js';
export * from './contract.js';
export * from './validate.js';
export * from './backoff.js';
export * from './heartbeat.js';
export * from './requests.js';
export * from './conversation.js';
export * from './assert-never.js';
export * from './logger.js';

/**
 * Errors of the Redis adapter. None is thrown at the application: they are reported on the
 * server's `'error'` event (and counted in `server.stats().adapter`), because a broker outage
 * must degrade the cluster to local delivery, never crash a node.
 */
import { TandemError } from '../../src/errors.js';

/** The `code`s a {@link RedisAdapterError} carries. */
export const RedisErrorCodes = {
  /** A connection to Redis failed or dropped; it reconnects by itself with backoff. */
  Unavailable: 'ERR_REDIS_UNAVAILABLE',
  /** The outbound queue was full while Redis was unreachable or slow: cluster messages were dropped. */
  PublishDropped: 'ERR_REDIS_PUBLISH_DROPPED',
  /** A publish was sent but failed (connection lost before its reply): it may not have arrived. */
  PublishFailed: 'ERR_REDIS_PUBLISH_FAILED',
  /** Writing membership to Redis failed; it is written again in full once Redis answers. */
  MembershipFailed: 'ERR_REDIS_MEMBERSHIP',
  /** Writing a session to Redis failed: it can resume on this node, not on another until written again. */
  SessionWriteFailed: 'ERR_REDIS_SESSION',
  /** A message on the cluster channel that this node cannot read (another version, garbage). */
  InvalidClusterMessage: 'ERR_INVALID_CLUSTER_MESSAGE',
} as const;

/** A code from {@link RedisErrorCodes}. */
export type RedisErrorCode = (typeof RedisErrorCodes)[keyof typeof RedisErrorCodes];

/** A failure of the Redis adapter, with a stable `code` from {@link RedisErrorCodes}. */
export class RedisAdapterError extends TandemError {
  declare readonly code: RedisErrorCode;

  constructor(code: RedisErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}

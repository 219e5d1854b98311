import type { Codec } from '../src/codec.js';
import type { HeartbeatPolicy } from '../src/heartbeat.js';
import type { Logger } from '../src/logger.js';
import type { Scheduler } from '../src/scheduler.js';
import type { ContractSchemas } from '../src/validate.js';
import type { ReconnectOptions } from './reconnect.js';
import type { WebSocketConstructor } from './transport.js';

/** The public connection state. */
export type ClientState = 'connecting' | 'open' | 'reconnecting' | 'closed';

/** Where to connect: a URL, or a function called before every attempt (e.g. to pick a host). */
export type UrlSource = string | URL | (() => string | URL | Promise<string | URL>);

/** Something with `online` / `offline` events (the browser's `window`). */
export interface NetworkEvents {
  addEventListener(type: 'online' | 'offline', listener: () => void): void;
  removeEventListener(type: 'online' | 'offline', listener: () => void): void;
}

/** Payload of the lifecycle `close` event. */
export interface CloseInfo {
  /** The close code (1006 when the link dropped without a close frame or an attempt failed). */
  code: number;
  reason: string;
  /** False when the client is now closed for good. */
  willReconnect: boolean;
  /**
   * True when the next attempt resumes the session (docs/protocol.md §10): nothing is lost if it
   * succeeds. Without a `retryDelay` the attempt is already running and the state stays `open`.
   */
  resuming: boolean;
  /** Milliseconds until the next attempt, when one is scheduled (absent while offline or closed). */
  retryDelay?: number;
  /**
   * Why the link ended, when known (the same error is reported on `error`): with Tandem's Node
   * WebSocket a `HandshakeError` (`code`, HTTP `status` and body, the Node error such as
   * ECONNREFUSED or a TLS error as `cause`) or a `ProtocolError`; for an attempt that never opened
   * otherwise a `ConnectionError` (`ERR_CONNECTION_FAILED`: what the socket's error event said —
   * nothing more than the close code in a browser — or the connect timeout), or the error of a
   * failing `url()`/`auth()`. The `reason` stays what the wire said.
   */
  error?: Error & { code?: string };
}

/** Payload of the lifecycle `open` event. */
export interface OpenInfo {
  /** True when the session survived the reconnect: nothing was lost in either direction. */
  resumed: boolean;
  /**
   * After a reconnect that did not resume, why (a `ResumeFailures` value: `expired`, `overflow`,
   * `restart`, `identity`, `unknown`, `disabled`, `closed`, `invalid`); the application should
   * refetch its state. Absent on the first connection.
   */
  reason?: string;
}

/** Reserved events of `client.lifecycle`, separate from the contract's events. */
export interface LifecycleEvents {
  /** The public state changed. */
  state: [state: ClientState, previous: ClientState];
  /** The handshake completed: typed traffic flows (the replay and queued messages were just sent). */
  open: [info: OpenInfo];
  /** A connection (or attempt) ended. */
  close: [info: CloseInfo];
  /**
   * A problem, always an `Error`: a failed connection attempt (`ConnectionError`,
   * `ERR_CONNECTION_FAILED`), the server breaking the protocol (`ProtocolError`), an invalid
   * payload (`PayloadValidationError`), a bad URL from a `url()` function (`ERR_INVALID_URL`), or
   * what a listener or handler threw (as thrown; a non-Error value is wrapped,
   * `ERR_NON_ERROR_THROWN`). Tandem's own errors carry a string `code`.
   */
  error: [error: Error & { code?: string }];
}

/** Options of `createClient`. */
export interface ClientOptions<C> {
  /** WebSocket constructor. @default globalThis.WebSocket (under Node: Tandem's own, through the `node` export condition) */
  WebSocket?: WebSocketConstructor;
  /** Subprotocols offered in the handshake. */
  protocols?: string | string[];
  /**
   * Credentials, sent in the hello envelope of every attempt: a JSON value, or a function
   * (sync or async) called before every attempt so a refreshed token is used.
   */
  auth?: unknown;
  /** Reconnect policy, or `false` to never reconnect. */
  reconnect?: ReconnectOptions | false;
  /** Heartbeat policy, or `false` for none. @default { interval: 25000, timeout: 10000 } */
  heartbeat?: Partial<HeartbeatPolicy> | false;
  /** Milliseconds an attempt may take from its start to the server's welcome. @default 10000 */
  connectTimeout?: number;
  /**
   * Bound of the offline queue, and of the session's log (envelopes kept until the server
   * acknowledges them). @default 1000
   */
  maxQueued?: number;
  /**
   * Resume the session after a reconnect (docs/protocol.md §10); `false` sends no resume fields
   * and behaves as a client that does not speak resume. @default true
   */
  resume?: boolean;
  /** Default request timeout in ms. @default 10000 */
  requestTimeout?: number;
  /** Validators for incoming payloads (Standard Schema v1). */
  schemas?: ContractSchemas<C>;
  /** @default jsonCodec */
  codec?: Codec;
  /** Clock and timers. @default systemScheduler */
  scheduler?: Scheduler;
  /** Randomness for backoff jitter. @default Math.random */
  random?: () => number;
  /** Source of `online`/`offline` events; `null` for none. @default globalThis when it is an event target */
  network?: NetworkEvents | null;
  /**
   * Where an error is written when no `lifecycle` `'error'` listener heard it (a listener or handler
   * that threw, a protocol error, an invalid payload). `false` for nowhere.
   * @default consoleLogger (one `console.error` line naming the source)
   */
  logger?: Logger | false;
}

/** Defaults of the client options. */
export const CLIENT_DEFAULTS = Object.freeze({
  /** @default 10000 */
  connectTimeout: 10_000,
  /** @default 1000 */
  maxQueued: 1000,
});

/** A {@link CloseInfo} holding only the optional fields that have a value. */
export function closeInfo(code: number, reason: string, willReconnect: boolean, resuming: boolean, retryDelay: number | undefined, error: (Error & { code?: string }) | undefined): CloseInfo {
  const info: CloseInfo = { code, reason, willReconnect, resuming };
  if (retryDelay !== undefined) info.retryDelay = retryDelay;
  if (error !== undefined) info.error = error;
  return info;
}

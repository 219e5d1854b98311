/**
 * The pending-request table both ends share, so "timed out", "aborted" and "disconnected" mean
 * the same thing at the client and the server: ids, per-request timeouts, AbortSignal support,
 * settle-once bookkeeping, and what a disconnect does to requests in flight (docs/protocol.md §7).
 */
import { ErrorCodes, TandemError } from './errors.js';
import { envelopeOf } from './envelope.js';
import type { ErrorEnvelope, RequestEnvelope } from './envelope.js';
import type { Scheduler, TimerHandle } from './scheduler.js';

/** The error-envelope codes Tandem itself produces; applications may use any other string. */
export const RequestErrorCodes = {
  /** The requester gave up waiting (`timeout` option). */
  Timeout: 'timeout',
  /** The receiver has no handler for the request's name. */
  UnknownMethod: 'unknown_method',
  /** The request payload failed the receiver's schema (or a response failed the requester's). */
  InvalidPayload: 'invalid_payload',
  /** The handler threw something that is not a RequestError. */
  Internal: 'internal',
  /** The caller's AbortSignal fired without a reason. */
  Aborted: 'aborted',
  /** The server already runs `maxPendingRequests` handler calls for this connection (like HTTP 429). */
  TooManyRequests: 'too_many_requests',
} as const;

/**
 * A request failed: `code` is the error envelope's code (`timeout`, `unknown_method`,
 * `invalid_payload`, `internal` or the application's own). Throw one from a handler to send it.
 */
export class RequestError extends TandemError {
  /** Marks the class across duplicate module copies (see {@link isRequestError}). */
  readonly isRequestError = true as const;
  readonly details?: unknown;

  constructor(code: string, message: string, details?: unknown) {
    super(code, message);
    if (details !== undefined) this.details = details;
  }

  /** The error envelope answering request `id` with this error. */
  toEnvelope(id: number): ErrorEnvelope {
    return envelopeOf<ErrorEnvelope>('error', { id, code: this.code, message: this.message }, 'details', this.details);
  }
}

/** Is `err` a {@link RequestError} (from any copy of this module)? */
export function isRequestError(err: unknown): err is RequestError {
  return typeof err === 'object' && err !== null && (err as { isRequestError?: unknown }).isRequestError === true;
}

/** The connection went away (or the client was closed) before the request was answered. */
export class DisconnectedError extends TandemError {
  constructor(message = 'disconnected') {
    super(ErrorCodes.Disconnected, message);
  }
}

/** The parts of `AbortSignal` used here (src/ has no DOM types). */
export interface AbortSignalLike {
  readonly aborted: boolean;
  readonly reason?: unknown;
  addEventListener(type: 'abort', listener: () => void, options?: { once?: boolean }): void;
  removeEventListener(type: 'abort', listener: () => void): void;
}

/** Per-request options. */
export interface RequestOptions {
  /** Milliseconds to wait for the answer, counted from the call (offline waiting included). @default 10000 */
  timeout?: number;
  /** Aborting rejects the request with `signal.reason`. */
  signal?: AbortSignalLike;
  /** Keep the request across a disconnect and send it again after reconnecting. @default false */
  retry?: boolean;
}

/** Defaults of the pending-request table. */
export const REQUEST_DEFAULTS = Object.freeze({
  /** @default 10000 */
  timeout: 10_000,
});

interface Pending {
  envelope: RequestEnvelope;
  retry: boolean;
  /** Has the envelope been handed to a live connection? Unsent requests survive a disconnect. */
  sent: boolean;
  resolve(value: unknown): void;
  reject(error: unknown): void;
  timer: TimerHandle;
  detachAbort: (() => void) | undefined;
}

/**
 * The requests this end has made and not yet seen answered. Ids count up from 1 per table;
 * each entry settles exactly once (answer, error, timeout, abort or disconnect).
 */
export class PendingRequests {
  readonly #scheduler: Scheduler;
  readonly #defaultTimeout: number;
  readonly #pending = new Map<number, Pending>();
  #nextId = 1;

  constructor(scheduler: Scheduler, defaultTimeout: number = REQUEST_DEFAULTS.timeout) {
    this.#scheduler = scheduler;
    this.#defaultTimeout = defaultTimeout;
  }

  /** Number of unsettled requests. */
  get size(): number {
    return this.#pending.size;
  }

  /** Is request `id` still waiting? */
  has(id: number): boolean {
    return this.#pending.has(id);
  }

  /** The name request `id` was made with, if it is pending. */
  nameOf(id: number): string | undefined {
    return this.#pending.get(id)?.envelope.name;
  }

  /**
   * Registers a request; the caller sends `envelope`. The timeout starts now. When `signal` is
   * already aborted nothing is registered: `envelope` is undefined (there is nothing to send) and
   * `promise` is rejected with the signal's reason.
   */
  create(name: string, payload: unknown, options: RequestOptions = {}): { envelope: RequestEnvelope | undefined; promise: Promise<unknown> } {
    const { signal } = options;
    if (signal?.aborted) return { envelope: undefined, promise: Promise.reject(abortReason(signal)) };
    const id = this.#nextId++;
    const envelope = envelopeOf<RequestEnvelope>('request', { id, name }, 'payload', payload);
    let settle!: Pick<Pending, 'resolve' | 'reject'>;
    const promise = new Promise<unknown>((resolve, reject) => (settle = { resolve, reject }));
    const timeout = options.timeout ?? this.#defaultTimeout;
    const timer = this.#scheduler.setTimeout(
      () => this.reject(id, new RequestError(RequestErrorCodes.Timeout, `request "${name}" timed out after ${timeout} ms`)),
      timeout,
    );
    let detachAbort: (() => void) | undefined;
    if (signal) {
      const onAbort = (): void => void this.reject(id, abortReason(signal));
      signal.addEventListener('abort', onAbort, { once: true });
      detachAbort = () => signal.removeEventListener('abort', onAbort);
    }
    this.#pending.set(id, { envelope, retry: options.retry === true, sent: false, ...settle, timer, detachAbort });
    return { envelope, promise };
  }

  /** Request `id` went out on the current connection (so a disconnect now concerns it). */
  markSent(id: number): void {
    const entry = this.#pending.get(id);
    if (entry) entry.sent = true;
  }

  /** Settles request `id` with `value`. False when `id` is unknown (never made, or settled already). */
  resolve(id: number, value: unknown): boolean {
    const entry = this.#take(id);
    entry?.resolve(value);
    return entry !== undefined;
  }

  /** Rejects request `id`. False when `id` is unknown. */
  reject(id: number, error: unknown): boolean {
    const entry = this.#take(id);
    entry?.reject(error);
    return entry !== undefined;
  }

  /**
   * The connection is gone: rejects every sent request with `error`, except those made with
   * `retry: true`, whose envelopes are returned (oldest first) to be sent again. Requests not
   * sent yet (waiting in an offline queue) are left alone: they still wait, bounded by their timeout.
   */
  disconnect(error: unknown = new DisconnectedError()): RequestEnvelope[] {
    const held: RequestEnvelope[] = [];
    for (const [id, entry] of [...this.#pending]) {
      if (!entry.sent) continue;
      if (entry.retry) {
        entry.sent = false;
        held.push(entry.envelope);
      } else this.reject(id, error);
    }
    return held;
  }

  /** Rejects everything, held requests included (the end is closing for good). */
  rejectAll(error: unknown = new DisconnectedError()): void {
    for (const id of [...this.#pending.keys()]) this.reject(id, error);
  }

  #take(id: number): Pending | undefined {
    const entry = this.#pending.get(id);
    if (entry === undefined) return undefined;
    this.#pending.delete(id);
    this.#scheduler.clearTimeout(entry.timer);
    entry.detachAbort?.();
    return entry;
  }
}

function abortReason(signal: AbortSignalLike): unknown {
  return signal.reason ?? new RequestError(RequestErrorCodes.Aborted, 'request aborted');
}

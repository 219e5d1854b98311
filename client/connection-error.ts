/**
 * Why a connection attempt failed, as far as the platform lets the client see it. A browser says
 * nothing (its `error` event carries no detail, by design: RFC 6455 §10.7 / the WHATWG spec hide
 * network errors from pages); Node transports (Tandem's own, or `ws`) report the refusal
 * (`ECONNREFUSED`), the HTTP status of a refused upgrade, or a TLS failure, which end up here.
 */
import { ErrorCodes, TandemError } from '../src/errors.js';

/** A connection attempt that never opened: reported on `client.lifecycle`'s `error` event. */
export class ConnectionError extends TandemError {
  /** The URL of the attempt. */
  readonly url: string;
  /** The close code the attempt ended with (1006 unless the server answered otherwise). */
  readonly closeCode: number;
  /** The HTTP status of a refused upgrade (400, 401, 404, 503…), when the transport saw it. */
  readonly status: number | undefined;

  constructor(url: string, closeCode: number, why: string, status: number | undefined, cause?: unknown) {
    super(ErrorCodes.ConnectionFailed, `connection to ${url} failed: ${why}`, cause === undefined ? undefined : { cause });
    this.url = url;
    this.closeCode = closeCode;
    this.status = status;
  }
}

/** What a socket's `error` event said: `ws` and Node transports carry an Error, a browser nothing. */
export function describeSocketError(event: unknown): { why: string; status: number | undefined; cause: unknown } | undefined {
  const e = event as { error?: unknown; message?: unknown } | undefined;
  const cause = e?.error;
  const message = cause instanceof Error ? cause.message : typeof e?.message === 'string' && e.message !== '' ? e.message : undefined;
  if (message === undefined) return undefined;
  const fields = cause as { status?: unknown; statusCode?: unknown } | undefined;
  const explicit = typeof fields?.status === 'number' ? fields.status : typeof fields?.statusCode === 'number' ? fields.statusCode : undefined;
  // `ws` words a refused upgrade as "Unexpected server response: 400".
  const parsed = /server response: (\d{3})\b/.exec(message);
  return { why: message, status: explicit ?? (parsed ? Number(parsed[1]) : undefined), cause };
}

/** The error for an attempt that closed before opening, with whatever detail there is. */
export function connectionError(url: string, code: number, reason: string, detail: ReturnType<typeof describeSocketError>): ConnectionError {
  if (detail !== undefined) return new ConnectionError(url, code, detail.why, detail.status, detail.cause);
  const why = reason !== '' ? reason : `closed with ${code} before opening (the platform gives no detail: server down, wrong port or path, or a refused upgrade)`;
  return new ConnectionError(url, code, why, undefined);
}

/** The error for an attempt that got no welcome within `connectTimeout` ms. */
export function connectTimeoutError(url: string | undefined, timeout: number): ConnectionError {
  return new ConnectionError(url ?? '(url not resolved yet)', 1006, `no welcome within ${timeout} ms (connectTimeout)`, undefined);
}


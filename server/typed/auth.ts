/**
 * What the admission hooks see and throw: the {@link AuthRequest} view of an upgrade request
 * (with its parsed cookies), the {@link AuthenticationError} that refuses it, and the verdict the
 * low-level server's `verifyClient` takes. Behaviour only; the options that name them are types.
 */
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import { ErrorCodes, TandemError } from '../../src/errors.js';

/** What the low-level server's `verifyClient` accepts: `true`, or a refusal. */
export type Verdict = true | { readonly status: number; readonly reason?: string; readonly headers?: Record<string, string> };

/** What `authenticate` sees of the HTTP upgrade request, before the 101. */
export interface AuthRequest {
  /** The request target, e.g. `/chat?token=…`. */
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  /** Parsed `Cookie` header. */
  readonly cookies: Readonly<Record<string, string>>;
  /** Parsed query string of `url`. */
  readonly query: URLSearchParams;
  readonly origin: string | undefined;
  readonly remoteAddress: string | undefined;
}

/**
 * Throw (or reject with) this from `authenticate` to refuse the handshake with `status`
 * (401 by default, 403 for "known but not allowed"). Any other exception refuses with 500
 * and is reported through the server's `'error'` event.
 */
export class AuthenticationError extends TandemError {
  /** HTTP status of the refusal. */
  readonly status: number;
  /** Marks the class across duplicate module copies (ESM + CJS). */
  readonly isAuthenticationError = true as const;

  constructor(status: 401 | 403 | number = 401, message = status === 403 ? 'Forbidden' : 'Unauthorized') {
    super(status === 403 ? ErrorCodes.Forbidden : ErrorCodes.Unauthorized, message);
    this.status = status;
  }
}

/** Is `err` an {@link AuthenticationError} (from any copy of this module)? */
export function isAuthenticationError(err: unknown): err is AuthenticationError {
  return typeof err === 'object' && err !== null && (err as { isAuthenticationError?: unknown }).isAuthenticationError === true;
}

/** The {@link AuthRequest} view of an upgrade request. */
export function authRequest(req: IncomingMessage): AuthRequest {
  const url = req.url ?? '/';
  const origin = req.headers.origin;
  return {
    url,
    headers: req.headers,
    cookies: parseCookies(req.headers.cookie),
    query: new URL(url, 'http://localhost').searchParams,
    origin: typeof origin === 'string' ? origin : undefined,
    remoteAddress: req.socket.remoteAddress,
  };
}

/**
 * Parses a `Cookie` header (RFC 6265 §5.4) into name → value; malformed pairs are skipped.
 * The result has no prototype: a cookie named `constructor` or `__proto__` is just a cookie, and
 * an absent one reads `undefined`.
 */
export function parseCookies(header: string | undefined): Record<string, string> {
  const cookies = Object.create(null) as Record<string, string>;
  if (header === undefined) return cookies;
  for (const pair of header.split(';')) {
    const eq = pair.indexOf('=');
    if (eq <= 0) continue;
    const name = pair.slice(0, eq).trim();
    let value = pair.slice(eq + 1).trim();
    if (value.startsWith('"') && value.endsWith('"') && value.length >= 2) value = value.slice(1, -1);
    try {
      cookies[name] = decodeURIComponent(value);
    } catch {
      cookies[name] = value;
    }
  }
  return cookies;
}

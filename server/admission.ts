/**
 * Who may connect, decided before the 101: shutdown and `maxConnections` (503, cheap checks
 * first), then the application's `authenticate` hook (identity, or 401/403). The identity is
 * parked on the request until the socket exists, then handed to the peer.
 */
import type { IncomingMessage } from 'node:http';
import { isAuthenticationError, parseCookies } from './server-options.js';
import type { AuthRequest } from './server-options.js';

/** What the low-level server's `verifyClient` accepts: `true`, or a refusal. */
export type Verdict = true | { readonly status: number; readonly reason?: string; readonly headers?: Record<string, string> };

/** Options of {@link Admission}. */
export interface AdmissionOptions<Identity> {
  readonly authenticate?: (request: AuthRequest) => Identity | Promise<Identity>;
  readonly maxConnections: number;
  /** Connections already admitted. */
  connections(): number;
  /** False once the server is shutting down. */
  accepting(): boolean;
  /** A hook failed unexpectedly. */
  report(error: unknown): void;
}

/** The admission gate of one server. */
export class Admission<Identity> {
  readonly #options: AdmissionOptions<Identity>;
  /** Requests between a successful check and their 'connection' (they count towards the limit). */
  readonly #admitted = new Map<IncomingMessage, Identity | undefined>();
  #verifying = 0;

  constructor(options: AdmissionOptions<Identity>) {
    this.#options = options;
  }

  /** The `verifyClient` hook. Never throws; an unexpected hook failure is a reported 500. */
  async verify(req: IncomingMessage): Promise<Verdict> {
    const options = this.#options;
    if (!options.accepting()) return this.#refuse(503, 'Server shutting down');
    // Count handshakes in progress too, or a burst could overshoot the limit during `authenticate`.
    if (options.connections() + this.#admitted.size + this.#verifying >= options.maxConnections) {
      return this.#refuse(503, 'Too many connections', { 'retry-after': '5' });
    }
    if (options.authenticate === undefined) return this.#admit(req, undefined);
    this.#verifying += 1;
    try {
      const identity = await options.authenticate(authRequest(req));
      return this.#admit(req, identity);
    } catch (err) {
      if (isAuthenticationError(err)) return this.#refuse(err.status, err.message);
      options.report(err);
      return this.#refuse(500, 'Internal Server Error');
    } finally {
      this.#verifying -= 1;
    }
  }

  /** The identity admitted with `req` (once; the request is then forgotten). */
  take(req: IncomingMessage): Identity | undefined {
    const identity = this.#admitted.get(req);
    this.#admitted.delete(req);
    return identity;
  }

  #admit(req: IncomingMessage, identity: Identity | undefined): Verdict {
    this.#admitted.set(req, identity);
    // The handshake can still fail after this (bad key, client gone): forget the request then.
    req.socket.once('close', () => this.#admitted.delete(req));
    return true;
  }

  #refuse(status: number, reason: string, headers: Record<string, string> = {}): Verdict {
    return { status, reason, headers };
  }
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

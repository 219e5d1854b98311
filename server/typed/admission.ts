/**
 * Who may connect. Before the 101: shutdown and `maxConnections` (503, cheap checks first), then
 * the application's `authenticate` hook (identity, or 401/403); the identity is parked on the
 * request until the socket exists, then handed to the peer. After the 101: the optional
 * `authenticateHello` check of the hello's `auth` ({@link helloVerdict}).
 */
import type { IncomingMessage } from 'node:http';
import { authRequest, isAuthenticationError } from './auth.js';
import type { AuthRequest, Verdict } from './auth.js';
import { CloseCodes } from '../../src/close-codes.js';

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
  /**
   * Requests between a successful check and their 'connection' (they count towards the limit),
   * with the listener that forgets them if the handshake fails after the check.
   */
  readonly #admitted = new Map<IncomingMessage, { readonly identity: Identity | undefined; readonly forget: () => void }>();
  #verifying = 0;

  constructor(options: AdmissionOptions<Identity>) {
    this.#options = options;
  }

  /**
   * The `verifyClient` hook. Never throws; an unexpected hook failure is a reported 500. Without
   * `authenticate` the answer is synchronous, so the handshake completes without a promise.
   */
  verify(req: IncomingMessage): Verdict | Promise<Verdict> {
    const options = this.#options;
    if (!options.accepting()) return this.#refuse(503, 'Server shutting down');
    // Count handshakes in progress too, or a burst could overshoot the limit during `authenticate`.
    if (options.connections() + this.#admitted.size + this.#verifying >= options.maxConnections) {
      return this.#refuse(503, 'Too many connections', { 'retry-after': '5' });
    }
    if (options.authenticate === undefined) return this.#admit(req, undefined);
    return this.#authenticate(req, options.authenticate);
  }

  async #authenticate(req: IncomingMessage, authenticate: (request: AuthRequest) => Identity | Promise<Identity>): Promise<Verdict> {
    this.#verifying += 1;
    try {
      const identity = await authenticate(authRequest(req));
      return this.#admit(req, identity);
    } catch (err) {
      if (isAuthenticationError(err)) return this.#refuse(err.status, err.message);
      this.#options.report(err);
      return this.#refuse(500, 'Internal Server Error');
    } finally {
      this.#verifying -= 1;
    }
  }

  /** The identity admitted with `req` (once; the request is then forgotten). */
  take(req: IncomingMessage): Identity | undefined {
    const entry = this.#admitted.get(req);
    if (entry === undefined) return undefined;
    this.#admitted.delete(req);
    // The socket lives as long as the connection: a listener left on it would keep `req` and all
    // its headers alive until the peer leaves.
    closeSource(req).off('close', entry.forget);
    return entry.identity;
  }

  #admit(req: IncomingMessage, identity: Identity | undefined): Verdict {
    // The handshake can still fail after this (bad key, client gone): forget the request then.
    const forget = (): void => void this.#admitted.delete(req);
    this.#admitted.set(req, { identity, forget });
    closeSource(req).once('close', forget);
    return true;
  }

  #refuse(status: number, reason: string, headers: Record<string, string> = {}): Verdict {
    return { status, reason, headers };
  }
}

/** What emits 'close' and lets a listener be removed again. */
interface CloseSource {
  once(event: 'close', listener: () => void): unknown;
  off(event: 'close', listener: () => void): unknown;
}

/**
 * What closes when the handshake's transport goes: the TCP socket, or over HTTP/2 the stream
 * (whose `req.socket` proxy forwards `once` to the stream but `off` to the session's socket).
 */
function closeSource(req: IncomingMessage): CloseSource {
  return (req as { stream?: CloseSource }).stream ?? req.socket;
}

/** The outcome of an `authenticateHello` check (see {@link helloVerdict}). */
export type HelloVerdict =
  | { readonly kind: 'admit'; readonly identity: unknown }
  /** Close with `code`: 4401 / 4403 for an `AuthenticationError`, 1011 for anything else. */
  | { readonly kind: 'refuse'; readonly code: number; readonly reason: string; readonly error?: unknown };

/**
 * Runs an `authenticateHello` check and says what to do with the peer: resolved → admit with that
 * identity; `AuthenticationError` → close with 4401 / 4403 (Tandem's "do not come back" codes);
 * anything else → close with 1011, carrying the error to report. Never rejects. The peer waits
 * in its `admitting` state meanwhile and ignores a verdict that comes after it left it.
 */
export function helloVerdict(check: () => unknown): Promise<HelloVerdict> {
  return new Promise<unknown>((resolve) => resolve(check())).then(
    (identity): HelloVerdict => ({ kind: 'admit', identity }),
    (err: unknown): HelloVerdict => {
      if (!isAuthenticationError(err)) return { kind: 'refuse', code: CloseCodes.InternalError, reason: 'hello check failed', error: err };
      return { kind: 'refuse', code: err.status === 403 ? CloseCodes.Forbidden : CloseCodes.Unauthorized, reason: err.message };
    },
  );
}

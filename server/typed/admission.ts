/**
 * Who may connect. Before the 101: shutdown and `maxConnections` (503, cheap checks first), then
 * the application's `authenticate` hook (identity, or 401/403); the identity is parked on the
 * request until the socket exists, then handed to the peer. After the 101: the optional
 * `authenticateHello` check of the hello's `auth` ({@link checkHello}).
 */
import type { IncomingMessage } from 'node:http';
import { isAuthenticationError, parseCookies } from './server-options.js';
import type { AuthRequest } from './server-options.js';
import type { PeerState } from './peer.js';
import { CloseCodes } from '../../src/close-codes.js';

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
  /**
   * Requests between a successful check and their 'connection' (they count towards the limit),
   * with the listener that forgets them if the handshake fails after the check.
   */
  readonly #admitted = new Map<IncomingMessage, { readonly identity: Identity | undefined; readonly forget: () => void }>();
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

/**
 * What closes when the handshake's transport goes: the TCP socket, or over HTTP/2 the stream
 * (whose `req.socket` proxy forwards `once` to the stream but `off` to the session's socket).
 */
function closeSource(req: IncomingMessage): { once(event: 'close', f: () => void): unknown; off(event: 'close', f: () => void): unknown } {
  return (req as { stream?: { once(event: 'close', f: () => void): unknown; off(event: 'close', f: () => void): unknown } }).stream ?? req.socket;
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

/** The part of a peer {@link checkHello} drives. */
export interface HelloPeer {
  readonly state: PeerState;
  markAdmitting(): void;
  setIdentity(identity: never): void;
  close(code: number, reason: string): void;
}

/**
 * Runs an `authenticateHello` check for a peer whose hello arrived: the peer is `admitting`
 * meanwhile (the hello timeout keeps running, so a hook that hangs is cut off by it). Resolved →
 * identity, then `open()`; `AuthenticationError` → 4401 / 4403; anything else → reported, 1011.
 * A verdict for a peer that left `admitting` (closed, timed out) is ignored.
 */
export function checkHello(check: () => unknown, peer: HelloPeer, host: { open(): void; report(error: unknown): void }): void {
  peer.markAdmitting();
  new Promise<unknown>((resolve) => resolve(check()))
    .then(
      (identity) => {
        if (peer.state !== 'admitting') return;
        peer.setIdentity(identity as never);
        host.open();
      },
      (err: unknown) => {
        if (peer.state !== 'admitting') return;
        if (!isAuthenticationError(err)) {
          host.report(err);
          return peer.close(CloseCodes.InternalError, 'hello check failed');
        }
        // Tandem's 44xx codes mean "do not come back": the client stops reconnecting.
        peer.close(err.status === 403 ? CloseCodes.Forbidden : CloseCodes.Unauthorized, err.message);
      },
    )
    // The server's listeners are guarded, so this is a last resort: never an unhandled rejection.
    .catch((err: unknown) => host.report(err));
}

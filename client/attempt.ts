/**
 * One connection attempt up to its socket: resolve the URL and the credentials (each a value or a
 * function called per attempt, sync or async), then create the transport. Every failure on the
 * way (a throwing or rejecting `url()`/`auth()`, a URL the constructor refuses) is reported as a
 * failed attempt, never thrown, so a retry timer can never die with the client stuck.
 */
import type { UrlSource } from './options.js';
import { Transport } from './transport.js';
import { webSocketUrl } from './validate-options.js';
import type { ConnectionError } from './connection-error.js';
import type { WebSocketConstructor } from './transport.js';

/** Where and how an attempt connects. */
export interface AttemptSource {
  url: UrlSource;
  /** A value, or a function called before every attempt. */
  auth: unknown;
  WebSocket: WebSocketConstructor;
  protocols: string | string[] | undefined;
}

/** Why an attempt failed before it had a socket (the lifecycle `close` reason). */
export type AttemptFailure = 'url or auth failed' | 'invalid url';

/** What the attempt reports; `socket` tells the owner which attempt's socket is speaking. */
export interface AttemptEvents {
  /** Is the attempt still wanted? A stale attempt creates no socket and reports nothing. */
  isCurrent(): boolean;
  /** The URL this attempt connects to (for error reports). */
  onUrl(url: string): void;
  /** The socket exists (still CONNECTING). */
  onSocket(socket: Transport): void;
  /** The socket opened: send the hello with `credentials`. */
  onOpen(socket: Transport, credentials: unknown): void;
  onMessage(socket: Transport, data: string | Uint8Array): void;
  onClose(socket: Transport, code: number, reason: string, error: unknown): void;
  /** The attempt failed before it had a socket. */
  onFailed(error: unknown, reason: AttemptFailure): void;
}

// Called inside the chain, so a synchronous throw rejects like an async failure would.
function evaluate<T>(source: T | (() => T | Promise<T>)): Promise<T> {
  return Promise.resolve().then(() => (typeof source === 'function' ? (source as () => T | Promise<T>)() : source));
}

/** Starts an attempt: resolves `url` and `auth`, then opens the socket (asynchronously). */
export function startAttempt(source: AttemptSource, events: AttemptEvents): void {
  Promise.all([evaluate(source.url), evaluate(source.auth)]).then(
    ([href, credentials]) => {
      if (!events.isCurrent()) return;
      let socket: Transport;
      try {
        const url = webSocketUrl(href);
        events.onUrl(url);
        socket = new Transport(source.WebSocket, url, source.protocols, {
          onOpen: () => events.onOpen(socket, credentials),
          onMessage: (data) => events.onMessage(socket, data),
          onClose: (code, reason, error) => events.onClose(socket, code, reason, error),
        });
      } catch (err) {
        // Not a ws(s) URL (ERR_INVALID_URL), or the constructor refused it: a failed attempt.
        return events.onFailed(err, 'invalid url');
      }
      events.onSocket(socket);
    },
    (err: unknown) => {
      if (events.isCurrent()) events.onFailed(err, 'url or auth failed');
    },
  );
}

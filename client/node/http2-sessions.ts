/**
 * The HTTP/2 sessions of the Node client's `http2` option: one per origin and TLS settings,
 * shared by every WebSocket to it (RFC 8441: each WebSocket is one stream), opened on the first
 * and closed (GOAWAY) when the last one is gone, so an idle process can exit.
 */
import { Buffer } from 'node:buffer';
import { connect } from 'node:http2';
import type { ClientHttp2Session } from 'node:http2';
import { isIP } from 'node:net';
import type { NodeWebSocketOptions } from './options.js';

/** A session in the pool, with the users that keep it open. */
export interface PooledSession {
  readonly session: ClientHttp2Session;
  /** Resolves once the server's first SETTINGS arrived (RFC 8441 §3: only then is extended CONNECT known to work). */
  readonly settings: Promise<void>;
  /** WebSockets (and handshakes) using the session. */
  users: number;
}

const pool = new Map<string, PooledSession>();
/** Identities of TLS option values (a PEM string or Buffer), so equal settings share a session. */
const identities = new Map<unknown, number>();

function identity(value: unknown): string {
  if (value === undefined) return '-';
  const text = Buffer.isBuffer(value) ? value.toString('latin1') : typeof value === 'string' ? value : value;
  let id = identities.get(text);
  if (id === undefined) {
    id = identities.size + 1;
    identities.set(text, id);
  }
  return String(id);
}

function poolKey(url: URL, options: NodeWebSocketOptions): string {
  const tls = [options.servername, options.rejectUnauthorized ?? true, identity(options.ca), identity(options.cert), identity(options.key)];
  return `${url.protocol}//${url.host}|${tls.join('|')}`;
}

/**
 * The session for `url` (`wss:` over TLS with ALPN h2; `ws:` as cleartext h2c with prior
 * knowledge), created if needed; counts one more user. Call {@link releaseSession} once done.
 */
export function acquireSession(url: URL, options: NodeWebSocketOptions): PooledSession {
  const key = poolKey(url, options);
  let pooled = pool.get(key);
  if (pooled === undefined || pooled.session.closed || pooled.session.destroyed) {
    pooled = open(url, options, key);
    pool.set(key, pooled);
  }
  pooled.users += 1;
  return pooled;
}

/** One user fewer; the last one closes the session. */
export function releaseSession(pooled: PooledSession): void {
  pooled.users -= 1;
  if (pooled.users > 0) return;
  for (const [key, value] of pool) if (value === pooled) pool.delete(key);
  if (!pooled.session.closed) pooled.session.close();
}

function open(url: URL, options: NodeWebSocketOptions, key: string): PooledSession {
  const secure = url.protocol === 'wss:';
  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  const origin = `${secure ? 'https' : 'http'}://${url.host}`;
  const session = connect(origin, {
    // RFC 6066 §3: SNI carries a DNS name, never an IP address literal.
    servername: options.servername ?? (isIP(host) === 0 ? host : undefined),
    ca: options.ca as string | Buffer | Array<string | Buffer> | undefined,
    cert: options.cert,
    key: options.key,
    rejectUnauthorized: options.rejectUnauthorized ?? true,
  });
  // Failures reach each stream (and the handshake through `settings`): nothing is lost here.
  session.on('error', () => {});
  session.once('close', () => {
    if (pool.get(key)?.session === session) pool.delete(key);
  });
  const settings = new Promise<void>((resolve, reject) => {
    session.once('remoteSettings', () => resolve());
    session.once('error', reject);
    session.once('close', () => reject(new Error('The HTTP/2 session closed before the server\'s SETTINGS arrived')));
  });
  settings.catch(() => {}); // awaited by each handshake; an unheard rejection is not an error
  return { session, settings, users: 0 };
}

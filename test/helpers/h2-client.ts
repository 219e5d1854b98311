/**
 * WebSocket over HTTP/2 (RFC 8441) from the test side: Node's `http2` client sends the extended
 * CONNECT, and the answered stream is driven either byte by byte ({@link openRawH2}, a RawClient
 * for the conformance cases) or by the sans-I/O engine in the client role ({@link H2EngineClient}).
 * The server certificate is a self-signed one made once per test process (demo/self-signed.mjs).
 */
import { once } from 'node:events';
import { connect } from 'node:http2';
import type { ClientHttp2Session, ClientHttp2Stream, IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http2';
import { selfSignedCertificate } from '../../demo/self-signed.mjs';
import { Connection } from '../../src/rfc6455/connection.js';
import { RawClient } from './raw-client.js';
import { WebSocketServer } from '../../server/socket/websocket-server.js';
import type { WebSocketServerOptions } from '../../server/socket/websocket-server.js';

let certificate: { key: string; cert: string } | undefined;

/** The process's self-signed certificate for localhost / 127.0.0.1 (needs `openssl`). */
export function testCertificate(): { key: string; cert: string } {
  certificate ??= selfSignedCertificate();
  return certificate;
}

/**
 * A listening TLS `WebSocketServer` on 127.0.0.1 (HTTP/2 and HTTP/1.1 on one port, the test
 * certificate); `cleanups` gets its teardown (every client terminated, then the server closed).
 */
export async function listenTls(options: Omit<WebSocketServerOptions, 'port' | 'host' | 'tls'>, cleanups: Array<() => Promise<void> | void>): Promise<WebSocketServer> {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1', tls: testCertificate(), ...options });
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        for (const ws of wss.clients) ws.terminate();
        wss.close(() => resolve());
      }),
  );
  await new Promise<void>((resolve) => wss.once('listening', () => resolve()));
  return wss;
}

/**
 * An HTTP/2 session to `https://127.0.0.1:port`, trusting the test certificate. By default it
 * resolves once the server's SETTINGS arrived (RFC 8441 §3: only then may a client rely on
 * extended CONNECT); `waitForSettings: false` resolves at once.
 */
export async function connectH2(port: number, options: { waitForSettings?: boolean } = {}): Promise<ClientHttp2Session> {
  const session = connect(`https://127.0.0.1:${port}`, { ca: testCertificate().cert, servername: 'localhost' });
  session.on('error', () => {}); // a test that cares looks at the streams
  if (options.waitForSettings !== false) await once(session, 'remoteSettings');
  return session;
}

/** Closes `session` and waits for it to be gone. */
export async function closeH2(session: ClientHttp2Session): Promise<void> {
  if (session.destroyed) return;
  const closed = once(session, 'close');
  session.close();
  // Streams a test left open (WebSockets) would hold a graceful close up: cut them shortly after.
  setTimeout(() => session.destroy(), 100).unref();
  await closed;
}

/**
 * Sends an extended CONNECT for `path`: `:method CONNECT`, `:protocol websocket`,
 * `sec-websocket-version: 13`, with `headers` on top (`undefined` removes one).
 */
export function extendedConnect(session: ClientHttp2Session, path = '/', headers: Record<string, string | undefined> = {}): ClientHttp2Stream {
  const all: Record<string, string | undefined> = { ':method': 'CONNECT', ':protocol': 'websocket', ':path': path, 'sec-websocket-version': '13', ...headers };
  const request: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(all)) if (value !== undefined) request[name] = value;
  const stream = session.request(request);
  stream.on('error', () => {}); // resets are reported through `answer`
  return stream;
}

/** How the server answered a stream: its response headers, or the RST_STREAM code that ended it. */
export type H2Answer = { readonly status: number; readonly headers: IncomingHttpHeaders; readonly body: () => Promise<string> } | { readonly status: undefined; readonly rstCode: number };

/** Waits for the server's answer to `stream` (the body is read only when a test calls `body()`). */
export function answer(stream: ClientHttp2Stream): Promise<H2Answer> {
  return new Promise((resolve) => {
    const onClose = (): void => resolve({ status: undefined, rstCode: stream.rstCode ?? -1 });
    stream.once('close', onClose);
    stream.once('response', (headers: IncomingHttpHeaders) => {
      stream.off('close', onClose);
      const body = async (): Promise<string> => {
        let text = '';
        try {
          for await (const chunk of stream) text += (chunk as Buffer).toString('utf8');
        } catch {
          // reset mid-body: what arrived is the body
        }
        return text;
      };
      resolve({ status: Number(headers[':status']), headers, body });
    });
  });
}

/** An extended CONNECT answered 200, as a RawClient writing exactly the test's bytes. */
export async function openRawH2(session: ClientHttp2Session, path = '/', headers: Record<string, string | undefined> = {}): Promise<RawClient> {
  const stream = extendedConnect(session, path, headers);
  const answered = await answer(stream);
  if (answered.status !== 200) throw new Error(`extended CONNECT failed: ${answered.status ?? `RST_STREAM ${answered.rstCode}`}`);
  return RawClient.over(stream, ':status: 200');
}

/** What an {@link H2EngineClient} saw. */
export interface H2Close {
  /** The close frame's code, or 1006 when the stream ended without one. */
  readonly code: number;
  readonly reason: string;
  /** The stream's RST_STREAM code (0: closed cleanly). */
  readonly rstCode: number;
}

/** The engine in the client role over one extended CONNECT stream. */
export class H2EngineClient {
  readonly stream: ClientHttp2Stream;
  readonly engine: Connection;
  readonly messages: { data: Buffer; isBinary: boolean }[] = [];
  readonly pongs: Buffer[] = [];
  readonly closed: Promise<H2Close>;
  #code = 1006;
  #reason = '';
  #wake: (() => void) | undefined;

  private constructor(stream: ClientHttp2Stream) {
    this.stream = stream;
    this.engine = new Connection(
      {
        write: (chunks) => this.#write(chunks),
        message: (data, isBinary) => {
          this.messages.push({ data: Buffer.from(data), isBinary });
          this.#wake?.();
        },
        ping: () => {},
        pong: (payload) => void this.pongs.push(Buffer.from(payload)),
        closeFrame: (code, reason) => {
          this.#code = code;
          this.#reason = reason;
        },
        error: () => void stream.end(),
      },
      { role: 'client' },
    );
    stream.on('data', (chunk: Buffer) => this.engine.receive(chunk));
    // The server ends its half after the close frames: end ours, and the stream is closed.
    stream.on('end', () => stream.end());
    this.closed = new Promise((resolve) =>
      stream.once('close', () => {
        this.engine.transportClosed();
        resolve({ code: this.#code, reason: this.#reason, rstCode: stream.rstCode ?? 0 });
      }),
    );
  }

  /** Opens a WebSocket on `session` (rejects unless the server answers 200). */
  static async open(session: ClientHttp2Session, path = '/', headers: Record<string, string | undefined> = {}): Promise<H2EngineClient> {
    const stream = extendedConnect(session, path, headers);
    const answered = await answer(stream);
    if (answered.status !== 200) throw new Error(`extended CONNECT failed: ${answered.status ?? `RST_STREAM ${answered.rstCode}`}`);
    return new H2EngineClient(stream);
  }

  send(data: string | Uint8Array): void {
    const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    this.#write(this.engine.send(bytes, { binary: typeof data !== 'string' }));
  }

  ping(payload: string): void {
    this.#write(this.engine.ping(Buffer.from(payload)));
  }

  close(code = 1000, reason = ''): void {
    this.#write(this.engine.close(code, reason));
  }

  /** Resolves once `count` messages arrived in total. */
  async waitForMessages(count: number, timeoutMs = 5000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.messages.length < count) {
      if (Date.now() > deadline) throw new Error(`got ${this.messages.length} of ${count} messages`);
      await new Promise<void>((resolve) => {
        this.#wake = resolve;
        setTimeout(resolve, 50);
      });
    }
  }

  #write(chunks: readonly Uint8Array[]): void {
    if (!this.stream.writable) return;
    for (const chunk of chunks) if (chunk.length > 0) this.stream.write(chunk);
  }
}

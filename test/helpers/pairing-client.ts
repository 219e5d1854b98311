/**
 * Two client ends for the conformance pairing matrix, each writing a case's raw client frames
 * (valid or not) and reporting what it PARSED of the server's answer:
 *
 * - {@link connectWsClient}: the `ws` package's client. ws performs the handshake and parses the
 *   server's frames with its own receiver (an independent referee); the case's bytes go onto its
 *   TCP socket as they are, since ws's API cannot produce invalid frames.
 * - {@link connectEngineClient}: Tandem's sans-I/O engine in the client role over a plain TCP
 *   socket, after a hand-written upgrade whose `Sec-WebSocket-Accept` is checked.
 *
 * Either way a server frame that breaks RFC 6455 (masked, RSV set, bad length…) shows up as an
 * `error` observation, so the matrix also checks every server's output frames.
 */
import { createHash, randomBytes } from 'node:crypto';
import { connect } from 'node:net';
import type { Socket } from 'node:net';
import { WebSocket } from 'ws';
import { Connection } from '../../src/rfc6455/connection.js';
import { encodeClientFrame, upgradeRequest } from './raw-client.js';
import type { ClientFrameOptions } from './raw-client.js';

/** Something the client end parsed from the server. */
export type Observed =
  | { readonly kind: 'message'; readonly opcode: 1 | 2; readonly payload: Buffer }
  | { readonly kind: 'pong'; readonly payload: Buffer }
  | { readonly kind: 'close'; readonly code: number; readonly reason: string }
  /** The client end found the server breaking the protocol (or the handshake). */
  | { readonly kind: 'error'; readonly message: string };

/** One client end of a pairing. */
export interface PairingClient {
  /** Writes raw bytes onto the TCP socket. */
  send(...chunks: Uint8Array[]): void;
  /** Writes one client frame, masked with the fixed test key (see `encodeClientFrame`). */
  sendFrame(opcode: number, payload?: Uint8Array | string, options?: ClientFrameOptions): void;
  /** Starts a clean close through the client's own API (ws's `close`, the engine's `close`). */
  close(code: number): void;
  /** The next observation, or `undefined` once the TCP connection closed with nothing left. */
  next(timeoutMs: number): Promise<Observed | undefined>;
  /** Every observation until the TCP connection closes. */
  rest(timeoutMs: number): Promise<Observed[]>;
  destroy(): void;
}

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

/** Observations in arrival order, awaited one at a time, plus the end of the TCP connection. */
class Observations {
  readonly #items: Observed[] = [];
  #ended = false;
  #wake: (() => void) | undefined;

  push(item: Observed): void {
    this.#items.push(item);
    this.#wake?.();
  }

  end(): void {
    this.#ended = true;
    this.#wake?.();
  }

  async next(timeoutMs: number): Promise<Observed | undefined> {
    await this.#until(() => this.#items.length > 0 || this.#ended, timeoutMs);
    return this.#items.shift();
  }

  async rest(timeoutMs: number): Promise<Observed[]> {
    await this.#until(() => this.#ended, timeoutMs);
    return this.#items.splice(0);
  }

  #until(ready: () => boolean, timeoutMs: number): Promise<void> {
    if (ready()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#wake = undefined;
        reject(new Error(`timed out after ${timeoutMs} ms (observed: ${this.#items.length}, TCP ended: ${this.#ended})`));
      }, timeoutMs);
      this.#wake = () => {
        if (!ready()) return;
        clearTimeout(timer);
        this.#wake = undefined;
        resolve();
      };
    });
  }
}

function rawWriter(socket: Socket): Pick<PairingClient, 'send' | 'sendFrame'> {
  return {
    send: (...chunks) => {
      for (const chunk of chunks) socket.write(chunk);
    },
    sendFrame: (opcode, payload, options) => void socket.write(encodeClientFrame(opcode, payload, options)),
  };
}

/** The `ws` client, connected to `port` (permessage-deflate off so RSV cases mean what they say). */
export async function connectWsClient(port: number): Promise<PairingClient> {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/`, { perMessageDeflate: false });
  const seen = new Observations();
  ws.on('message', (data: Buffer, isBinary: boolean) => seen.push({ kind: 'message', opcode: isBinary ? 2 : 1, payload: data }));
  ws.on('pong', (data: Buffer) => seen.push({ kind: 'pong', payload: data }));
  ws.on('error', (err: Error) => seen.push({ kind: 'error', message: `ws client: ${err.message}` }));
  // ws reports 'close' once the TCP connection is gone, with the code of the server's close frame.
  ws.on('close', (code: number, reason: Buffer) => {
    seen.push({ kind: 'close', code, reason: reason.toString('utf8') });
    seen.end();
  });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  // ws keeps its TCP socket private; writing to it is the only way to send invalid frames.
  const socket = (ws as unknown as { _socket: Socket })._socket;
  return { ...rawWriter(socket), close: (code) => ws.close(code), next: (ms) => seen.next(ms), rest: (ms) => seen.rest(ms), destroy: () => ws.terminate() };
}

/** Reads the 101 head off `socket`; resolves with the bytes after it. */
function readHandshake(socket: Socket, key: string): Promise<Buffer> {
  const accept = createHash('sha1').update(key + GUID).digest('base64');
  return new Promise((resolve, reject) => {
    let head = Buffer.alloc(0);
    const onData = (chunk: Buffer): void => {
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf('\r\n\r\n');
      if (end === -1) return;
      socket.off('data', onData);
      const text = head.subarray(0, end).toString('latin1');
      // RFC 6455 §4.1: the client fails the connection unless it gets a 101 with the right accept value.
      if (!text.startsWith('HTTP/1.1 101 ') || !new RegExp(`^sec-websocket-accept: *${accept.replace(/[+/]/g, '\\$&')} *$`, 'im').test(text)) {
        reject(new Error(`bad handshake answer: ${text}`));
      } else resolve(head.subarray(end + 4));
    };
    socket.on('data', onData);
    socket.once('close', () => reject(new Error('closed during the handshake')));
  });
}

/** Tandem's engine in the client role, over TCP to `port`. */
export async function connectEngineClient(port: number): Promise<PairingClient> {
  const socket = connect(port, '127.0.0.1');
  socket.on('error', () => {}); // a reset after the close handshake is not the case's concern
  const key = randomBytes(16).toString('base64');
  const seen = new Observations();
  const write = (chunks: readonly Uint8Array[]): void => {
    if (socket.writable) for (const chunk of chunks) socket.write(chunk);
  };
  const engine = new Connection(
    {
      write,
      message: (data, isBinary) => seen.push({ kind: 'message', opcode: isBinary ? 2 : 1, payload: Buffer.from(data) }),
      ping: () => {}, // answered by the engine (autoPong); the echo servers never ping
      pong: (payload) => seen.push({ kind: 'pong', payload: Buffer.from(payload) }),
      // RFC 6455 §7.1.1: the client waits for the server to close the TCP connection.
      closeFrame: (code, reason) => seen.push({ kind: 'close', code, reason }),
      error: (err) => {
        seen.push({ kind: 'error', message: `engine client: ${err.message} (${err.closeCode})` });
        socket.end();
      },
    },
    { role: 'client' },
  );
  socket.write(upgradeRequest('/', { 'Sec-WebSocket-Key': key }));
  const rest = await readHandshake(socket, key);
  socket.on('data', (chunk: Buffer) => engine.receive(chunk));
  socket.on('close', () => {
    engine.transportClosed();
    seen.end();
  });
  if (rest.length > 0) engine.receive(rest);
  return {
    ...rawWriter(socket),
    close: (code) => write(engine.close(code)),
    next: (ms) => seen.next(ms),
    rest: (ms) => seen.rest(ms),
    destroy: () => socket.destroy(),
  };
}

/**
 * A raw TCP WebSocket client for server tests: it writes exactly the bytes a test asks for (valid
 * or not) and parses the server's frames with its own small reader, independent of the engine.
 */
import { connect } from 'node:net';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';

/** The RFC 6455 §5.7 example mask key, fixed so tests are deterministic. */
export const TEST_MASK = Uint8Array.of(0x37, 0xfa, 0x21, 0x3d);
/** A valid `Sec-WebSocket-Key` (the RFC 6455 §1.3 sample nonce). */
export const SAMPLE_KEY = 'dGhlIHNhbXBsZSBub25jZQ==';

/** A frame read from the server. */
export interface Frame {
  fin: boolean;
  rsv: number;
  opcode: number;
  masked: boolean;
  payload: Buffer;
}

/** Options of {@link encodeClientFrame}. */
export interface ClientFrameOptions {
  fin?: boolean;
  /** RSV bits as a 3-bit number (4 = RSV1). */
  rsv?: number;
  /** `null` sends an unmasked frame (a protocol error from a client). */
  mask?: Uint8Array | null;
  /** Force a 16- or 64-bit length encoding (non-minimal encodings). */
  lengthBits?: 7 | 16 | 64;
}

/** Builds one client frame: masked with {@link TEST_MASK} unless told otherwise. */
export function encodeClientFrame(opcode: number, payload: Uint8Array | string = new Uint8Array(0), options: ClientFrameOptions = {}): Buffer {
  const data = typeof payload === 'string' ? Buffer.from(payload, 'utf8') : Buffer.from(payload);
  const mask = options.mask === undefined ? TEST_MASK : options.mask;
  const bits = options.lengthBits ?? (data.length < 126 ? 7 : data.length < 65536 ? 16 : 64);
  const head = Buffer.alloc(2 + (bits === 16 ? 2 : bits === 64 ? 8 : 0) + (mask === null ? 0 : 4));
  head[0] = ((options.fin ?? true) ? 0x80 : 0) | ((options.rsv ?? 0) << 4) | opcode;
  const maskBit = mask === null ? 0 : 0x80;
  let offset = 2;
  if (bits === 7) head[1] = maskBit | data.length;
  else if (bits === 16) {
    head[1] = maskBit | 126;
    head.writeUInt16BE(data.length, 2);
    offset = 4;
  } else {
    head[1] = maskBit | 127;
    head.writeBigUInt64BE(BigInt(data.length), 2);
    offset = 10;
  }
  if (mask !== null) {
    head.set(mask, offset);
    for (let i = 0; i < data.length; i++) data[i] = data[i]! ^ mask[i & 3]!;
  }
  return Buffer.concat([head, data]);
}

/** A close frame payload: 2-byte code and a UTF-8 reason (or raw bytes). */
export function closePayload(code: number, reason: string | Uint8Array = ''): Buffer {
  const body = typeof reason === 'string' ? Buffer.from(reason, 'utf8') : Buffer.from(reason);
  const out = Buffer.alloc(2 + body.length);
  out.writeUInt16BE(code, 0);
  body.copy(out, 2);
  return out;
}

/** The code of a close frame (1005 when it has none). */
export function closeCodeOf(frame: Frame): number {
  return frame.payload.length >= 2 ? frame.payload.readUInt16BE(0) : 1005;
}

/** The request head of a valid upgrade, with overrides (`null` removes a header). */
export function upgradeRequest(path = '/', headers: Record<string, string | null> = {}): string {
  const base: Record<string, string | null> = {
    Host: '127.0.0.1',
    Upgrade: 'websocket',
    Connection: 'Upgrade',
    'Sec-WebSocket-Key': SAMPLE_KEY,
    'Sec-WebSocket-Version': '13',
    ...headers,
  };
  let text = `GET ${path} HTTP/1.1\r\n`;
  for (const [name, value] of Object.entries(base)) if (value !== null) text += `${name}: ${value}\r\n`;
  return `${text}\r\n`;
}

/** Sends raw bytes and resolves with everything the server sent until it closed the connection. */
export function rawExchange(port: number, request: string | Uint8Array, timeoutMs = 5000): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no close within ${timeoutMs} ms; got ${JSON.stringify(Buffer.concat(chunks).toString('latin1'))}`));
    }, timeoutMs);
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('error', () => {});
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(Buffer.concat(chunks).toString('latin1'));
    });
    socket.write(request);
  });
}

/** A WebSocket client over a raw TCP socket (or, through {@link RawClient.over}, an HTTP/2 stream). */
export class RawClient {
  /** The TCP socket; for a client made by {@link RawClient.over}, the stream it was given. */
  readonly socket: Socket;
  /** The server's handshake response head (up to the blank line). */
  response = '';
  #buffer: Buffer = Buffer.alloc(0);
  #pending: Buffer[] = [];
  #pendingBytes = 0;
  /** Bytes needed before parsing is worth trying again (avoids quadratic concatenation of big frames). */
  #need = 0;
  #frames: Frame[] = [];
  #waiter: (() => void) | undefined;
  #closed = false;
  /** Resolves when the TCP connection closed. */
  readonly closed: Promise<void>;

  private constructor(socket: Duplex) {
    this.socket = socket as Socket;
    this.closed = new Promise((resolve) => socket.on('close', () => resolve()));
    socket.on('error', () => {});
    socket.on('data', (chunk: Buffer) => this.#onData(chunk));
    socket.on('close', () => {
      this.#closed = true;
      this.#wake();
    });
  }

  /** Connects and completes the handshake (rejects unless the answer is a 101). */
  static async connect(port: number, path = '/', headers: Record<string, string | null> = {}, extra?: Uint8Array): Promise<RawClient> {
    const socket = connect(port, '127.0.0.1');
    const client = new RawClient(socket);
    socket.write(extra === undefined ? upgradeRequest(path, headers) : Buffer.concat([Buffer.from(upgradeRequest(path, headers)), extra]));
    await client.#until(() => client.response !== '' || client.#closed, 5000);
    if (!client.response.startsWith('HTTP/1.1 101 ')) throw new Error(`handshake failed: ${client.response || '(closed)'}`);
    return client;
  }

  /**
   * A client on a stream whose handshake is already done (an HTTP/2 extended CONNECT answered
   * 200): frames only. The stream's end is answered with ours, so it closes like a TCP socket.
   */
  static over(stream: Duplex, response: string): RawClient {
    const client = new RawClient(stream);
    client.response = response;
    stream.on('end', () => stream.end());
    return client;
  }

  /** Writes raw bytes. */
  send(...chunks: Uint8Array[]): void {
    for (const c of chunks) this.socket.write(c);
  }

  /** Writes one client frame (see {@link encodeClientFrame}). */
  sendFrame(opcode: number, payload?: Uint8Array | string, options?: ClientFrameOptions): void {
    this.socket.write(encodeClientFrame(opcode, payload, options));
  }

  /** The next frame from the server, or `undefined` once the connection closed. */
  async next(timeoutMs = 5000): Promise<Frame | undefined> {
    await this.#until(() => this.#frames.length > 0 || this.#closed, timeoutMs);
    return this.#frames.shift();
  }

  /** Every frame until the server closes the TCP connection. */
  async rest(timeoutMs = 5000): Promise<Frame[]> {
    await this.#until(() => this.#closed, timeoutMs);
    return this.#frames.splice(0);
  }

  /** Sends a close frame with `code` (or an empty one). */
  sendClose(code?: number, reason = ''): void {
    this.sendFrame(8, code === undefined ? new Uint8Array(0) : closePayload(code, reason));
  }

  destroy(): void {
    this.socket.destroy();
  }

  #until(ready: () => boolean, timeoutMs: number): Promise<void> {
    if (ready()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiter = undefined;
        reject(new Error(`timed out after ${timeoutMs} ms (frames: ${this.#frames.length}, closed: ${this.#closed})`));
      }, timeoutMs);
      this.#waiter = () => {
        if (!ready()) return;
        clearTimeout(timer);
        this.#waiter = undefined;
        resolve();
      };
    });
  }

  #wake(): void {
    this.#waiter?.();
  }

  #onData(chunk: Buffer): void {
    this.#pending.push(chunk);
    this.#pendingBytes += chunk.length;
    if (this.#buffer.length + this.#pendingBytes < this.#need) return;
    this.#buffer = Buffer.concat([this.#buffer, ...this.#pending]);
    this.#pending = [];
    this.#pendingBytes = 0;
    if (this.response === '') {
      const end = this.#buffer.indexOf('\r\n\r\n');
      if (end === -1) return;
      this.response = this.#buffer.subarray(0, end + 4).toString('latin1');
      this.#buffer = this.#buffer.subarray(end + 4);
    }
    this.#parse();
    this.#wake();
  }

  #parse(): void {
    for (;;) {
      const b = this.#buffer;
      this.#need = 0;
      if (b.length < 2) return;
      const masked = (b[1]! & 0x80) !== 0;
      let length = b[1]! & 0x7f;
      let offset = 2;
      if (length === 126) {
        if (b.length < 4) return;
        length = b.readUInt16BE(2);
        offset = 4;
      } else if (length === 127) {
        if (b.length < 10) return;
        length = Number(b.readBigUInt64BE(2));
        offset = 10;
      }
      if (masked) offset += 4;
      if (b.length < offset + length) {
        this.#need = offset + length;
        return;
      }
      this.#frames.push({
        fin: (b[0]! & 0x80) !== 0,
        rsv: (b[0]! >> 4) & 7,
        opcode: b[0]! & 0x0f,
        masked,
        payload: Buffer.from(b.subarray(offset, offset + length)),
      });
      this.#buffer = b.subarray(offset + length);
    }
  }
}

/**
 * The load generator's side of the wire: pre-built masked client frames, the upgrade request,
 * and a connect-and-upgrade helper over raw `net` sockets.
 *
 * Everything that can be computed before the measured window is (frames, keys, accepts), so the
 * load generator spends its CPU on moving bytes, not on building them.
 */
import { createHash, randomBytes } from 'node:crypto';
import net from 'node:net';

/** RFC 6455 §1.3: the GUID appended to Sec-WebSocket-Key before hashing. */
const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
const HEADER_END = Buffer.from('\r\n\r\n', 'latin1');
const MAX_RESPONSE_HEAD = 16 * 1024;
const CONNECT_TIMEOUT_MS = 10_000;
/**
 * One read buffer for every socket of the process (`onread`): reads of up to 1 MiB at a time and
 * no allocation per read. Safe because each chunk is handled synchronously and anything kept
 * past the callback (a split header, upgrade leftovers) is copied out.
 */
const READ_BUFFER = Buffer.allocUnsafe(1024 * 1024);
const CHUNK_HANDLER = Symbol('chunkHandler');
const ignoreChunk = () => {};

/**
 * Route a connection's incoming bytes to `handler`. The chunk is a view of a shared buffer,
 * valid only during the call.
 * @param {net.Socket} socket
 * @param {(chunk: Buffer) => void} handler
 */
export function onChunk(socket, handler) {
  socket[CHUNK_HANDLER] = handler;
}

/** Opcodes used by the benchmark (RFC 6455 §5.2). */
export const Opcode = Object.freeze({ text: 0x1, binary: 0x2, close: 0x8 });

/**
 * A small deterministic PRNG (xorshift32) so payloads are the same in every run and process.
 * @param {number} seed non-zero
 * @returns {() => number} uint32 generator
 */
export function makeRandom(seed) {
  let x = seed >>> 0 || 0x9e3779b9;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>>= 0);
  };
}

/**
 * A payload of `size` bytes. Text payloads are valid UTF-8 with some 2- and 3-byte sequences,
 * so the server's UTF-8 validation does real work; binary payloads are random bytes.
 * @param {number} size
 * @param {boolean} text
 * @param {() => number} random
 */
export function makePayload(size, text, random) {
  const out = Buffer.allocUnsafe(size);
  if (!text) {
    for (let i = 0; i < size; i++) out[i] = random() & 0xff;
    return out;
  }
  let i = 0;
  while (i < size) {
    const r = random() % 16;
    if (r === 0 && size - i >= 3) i += out.write('€', i, 'utf8');
    else if (r === 1 && size - i >= 2) i += out.write('é', i, 'utf8');
    else out[i++] = 0x61 + (random() % 26);
  }
  return out;
}

/**
 * One masked client frame (fin set), as it goes on the wire, plus what an echo must return.
 * @param {number} opcode
 * @param {Buffer} payload
 * @param {() => number} random
 * @returns {{ frame: Buffer, opcode: number, plain: Buffer, masked: Buffer, maskKey: Buffer }}
 */
export function buildClientFrame(opcode, payload, random) {
  const length = payload.length;
  // RFC 6455 §5.2: the minimal length encoding — 7 bits, then 16, then 64.
  const extended = length < 126 ? 0 : length < 0x10000 ? 2 : 8;
  const headerLength = 2 + extended + 4;
  const frame = Buffer.allocUnsafe(headerLength + length);
  frame[0] = 0x80 | opcode;
  if (extended === 0) frame[1] = 0x80 | length;
  else if (extended === 2) {
    frame[1] = 0x80 | 126;
    frame.writeUInt16BE(length, 2);
  } else {
    frame[1] = 0x80 | 127;
    frame.writeUInt32BE(Math.floor(length / 2 ** 32), 2);
    frame.writeUInt32BE(length >>> 0, 6);
  }
  const maskAt = 2 + extended;
  frame.writeUInt32BE(random(), maskAt);
  const maskKey = frame.subarray(maskAt, maskAt + 4);
  // RFC 6455 §5.3: client-to-server payloads are XOR-masked with the 4-byte key.
  for (let i = 0; i < length; i++) frame[headerLength + i] = payload[i] ^ maskKey[i & 3];
  return { frame, opcode, plain: payload, masked: frame.subarray(headerLength), maskKey };
}

/** A pool of Sec-WebSocket-Key values with their expected accepts, computed once. */
export class KeyPool {
  /** @param {number} size */
  constructor(size = 64) {
    this.entries = Array.from({ length: size }, () => {
      const key = randomBytes(16).toString('base64');
      const accept = createHash('sha1').update(key + GUID).digest('base64');
      return { key, accept };
    });
    this.next = 0;
  }

  /** @returns {{ key: string, accept: string }} */
  take() {
    const entry = this.entries[this.next];
    this.next = (this.next + 1) % this.entries.length;
    return entry;
  }
}

/**
 * Connect over TCP and, for the `ws` protocol, perform the RFC 6455 §4.1 opening handshake,
 * checking the status line and Sec-WebSocket-Accept.
 * @param {{ host: string, port: number, protocol: 'ws' | 'raw' }} target
 * @param {KeyPool} keys
 * @returns {Promise<{ socket: net.Socket, head: Buffer }>} head: bytes after the response headers
 */
export function connect(target, keys) {
  return new Promise((resolve, reject) => {
    const socket = net.connect({
      host: target.host,
      port: target.port,
      onread: { buffer: READ_BUFFER, callback: (n, buf) => socket[CHUNK_HANDLER](buf.subarray(0, n)) },
    });
    onChunk(socket, ignoreChunk);
    socket.setNoDelay(true);
    const timer = setTimeout(() => fail(new Error('connect/upgrade timed out')), CONNECT_TIMEOUT_MS);
    const fail = (err) => {
      clearTimeout(timer);
      socket.destroy();
      reject(err);
    };
    socket.once('error', fail);
    socket.once('connect', () => {
      if (target.protocol === 'raw') {
        clearTimeout(timer);
        socket.removeListener('error', fail);
        resolve({ socket, head: Buffer.alloc(0) });
        return;
      }
      const { key, accept } = keys.take();
      socket.write(
        `GET / HTTP/1.1\r\nHost: ${target.host}:${target.port}\r\nUpgrade: websocket\r\n` +
          `Connection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
      );
      let received = Buffer.alloc(0);
      const onData = (chunk) => {
        received = Buffer.concat([received, chunk]);
        const end = received.indexOf(HEADER_END);
        if (end === -1) {
          if (received.length > MAX_RESPONSE_HEAD) fail(new Error('upgrade response too large'));
          return;
        }
        onChunk(socket, ignoreChunk);
        socket.removeListener('close', onEarlyClose);
        const problem = checkUpgradeResponse(received.subarray(0, end).toString('latin1'), accept);
        if (problem) return fail(new Error(problem));
        clearTimeout(timer);
        socket.removeListener('error', fail);
        resolve({ socket, head: received.subarray(end + HEADER_END.length) });
      };
      const onEarlyClose = () => fail(new Error('closed during upgrade'));
      onChunk(socket, onData);
      socket.once('close', onEarlyClose);
    });
  });
}

/**
 * @param {string} head response status line and headers
 * @param {string} accept expected Sec-WebSocket-Accept
 * @returns {string | null} what is wrong, or null
 */
function checkUpgradeResponse(head, accept) {
  const lines = head.split('\r\n');
  // RFC 6455 §4.1: any status other than 101 means the handshake did not complete.
  if (!/^HTTP\/1\.1 101\b/.test(lines[0] ?? '')) return `upgrade refused: ${lines[0]}`;
  const headers = new Map();
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(':');
    if (colon > 0) headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }
  if (headers.get('sec-websocket-accept') !== accept) return 'wrong Sec-WebSocket-Accept';
  if (headers.has('sec-websocket-extensions')) return 'server answered an extension that was not offered';
  return null;
}

/**
 * A masked close frame with a status code and no reason (RFC 6455 §5.5.1).
 * @param {number} code
 * @param {() => number} random
 */
export function buildCloseFrame(code, random) {
  const body = Buffer.allocUnsafe(2);
  body.writeUInt16BE(code, 0);
  return buildClientFrame(Opcode.close, body, random);
}

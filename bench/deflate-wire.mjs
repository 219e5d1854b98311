/**
 * The load generator's permessage-deflate side (RFC 7692): an upgrade that offers the extension
 * and checks the server's answer, client frames compressed before the clock starts, and a reply
 * reader that inflates every reply with the connection's own context and compares it, byte for
 * byte, with the message that was sent.
 *
 * The offer carries `client_no_context_takeover`, so every client message is compressed on its
 * own and can be built in advance; the server keeps its context (the default, as browsers offer
 * it), so replies are inflated in order through one `InflateRaw` stream per connection.
 */
import net from 'node:net';
import zlib from 'node:zlib';
import { buildClientFrame } from './wire.mjs';

/** RFC 7692 §7.2.1: the tail of a sync flush, removed by the sender and re-appended to inflate. */
export const TRAILER = Buffer.from([0x00, 0x00, 0xff, 0xff]);
/** What every connection offers (RFC 7692 §5, §7.1.1.1). */
export const DEFLATE_OFFER = 'permessage-deflate; client_no_context_takeover';
const HEADER_END = Buffer.from('\r\n\r\n', 'latin1');
const CONNECT_TIMEOUT_MS = 10_000;
/** One read buffer for every socket of the process; chunks are copied out before it is reused. */
const READ_BUFFER = Buffer.allocUnsafe(1024 * 1024);

/**
 * A masked client frame (fin, RSV1 set) carrying `payload` compressed on its own.
 * @param {number} opcode
 * @param {Buffer} payload
 * @param {() => number} random
 */
export function buildCompressedFrame(opcode, payload, random) {
  const deflated = zlib.deflateRawSync(payload, { finishFlush: zlib.constants.Z_SYNC_FLUSH });
  // RFC 7692 §7.2.1: remove the 4 octets 0x00 0x00 0xff 0xff at the tail end.
  if (!deflated.subarray(-4).equals(TRAILER)) throw new Error('deflateRawSync did not end in a sync flush');
  const built = buildClientFrame(opcode, deflated.subarray(0, -4), random);
  // RFC 7692 §6: RSV1 on the first frame marks a compressed message.
  built.frame[0] |= 0x40;
  return { frame: built.frame, opcode, plain: payload, wireBytes: deflated.length - 4 };
}

/**
 * TCP connect and upgrade offering permessage-deflate; the response must be 101 with the right
 * Sec-WebSocket-Accept and accept permessage-deflate.
 * @param {{ host: string, port: number }} target
 * @param {{ take(): { key: string, accept: string } }} keys see wire.mjs KeyPool
 * @returns {Promise<{ socket: net.Socket, head: Buffer, agreed: string, setHandler: (h: (chunk: Buffer) => void) => void }>}
 */
export function connectDeflate(target, keys) {
  return new Promise((resolve, reject) => {
    let handler = () => {};
    const socket = net.connect({
      host: target.host,
      port: target.port,
      onread: { buffer: READ_BUFFER, callback: (n, buf) => handler(buf.subarray(0, n)) },
    });
    socket.setNoDelay(true);
    const timer = setTimeout(() => fail(new Error('connect/upgrade timed out')), CONNECT_TIMEOUT_MS);
    const fail = (err) => {
      clearTimeout(timer);
      socket.destroy();
      reject(err);
    };
    socket.once('error', fail);
    socket.once('close', () => fail(new Error('closed during upgrade')));
    socket.once('connect', () => {
      const { key, accept } = keys.take();
      socket.write(
        `GET / HTTP/1.1\r\nHost: ${target.host}:${target.port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
          `Sec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Extensions: ${DEFLATE_OFFER}\r\n\r\n`,
      );
      let received = Buffer.alloc(0);
      handler = (chunk) => {
        received = Buffer.concat([received, chunk]);
        const end = received.indexOf(HEADER_END);
        if (end === -1) return;
        handler = () => {};
        const headers = parseResponse(received.subarray(0, end).toString('latin1'));
        const problem = checkResponse(headers, accept);
        if (problem) return fail(new Error(problem));
        clearTimeout(timer);
        socket.removeAllListeners('error');
        socket.removeAllListeners('close');
        const setHandler = (h) => {
          handler = h;
        };
        resolve({ socket, head: received.subarray(end + HEADER_END.length), agreed: headers.get('sec-websocket-extensions'), setHandler });
      };
    });
  });
}

function parseResponse(head) {
  const lines = head.split('\r\n');
  const headers = new Map([[':status', lines[0] ?? '']]);
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(':');
    if (colon > 0) headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }
  return headers;
}

/** @returns {string | null} what is wrong, or null */
function checkResponse(headers, accept) {
  // RFC 6455 §4.1: any status other than 101 means the handshake did not complete.
  if (!/^HTTP\/1\.1 101\b/.test(headers.get(':status'))) return `upgrade refused: ${headers.get(':status')}`;
  if (headers.get('sec-websocket-accept') !== accept) return 'wrong Sec-WebSocket-Accept';
  const agreed = headers.get('sec-websocket-extensions') ?? '';
  // RFC 7692 §5: the server accepts an offer by answering the extension name first.
  if (!/^permessage-deflate\s*(;|$)/i.test(agreed)) return `server did not accept permessage-deflate (answered "${agreed}")`;
  // RFC 7692 §7.1.2.2: we offered no client_max_window_bits, so the server may not send it.
  if (/client_max_window_bits/i.test(agreed)) return `client_max_window_bits answered but not offered: "${agreed}"`;
  return null;
}

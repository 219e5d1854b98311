/**
 * The `ws` package as an independent permessage-deflate peer: it compresses with its own zlib
 * code and checks our responses against its own reading of RFC 7692. Every client opened here
 * is terminated by {@link closeDeflatePeers} (call it in afterEach/afterAll).
 */
import { expect } from 'vitest';
import WebSocket from 'ws';
import type { PerMessageDeflateOptions as WsDeflateOptions } from 'ws';

const peers = new Set<WebSocket>();
const responses = new WeakMap<WebSocket, string>();

/** Connects a `ws` client offering permessage-deflate with `options` (threshold 0: it compresses everything). */
export function openDeflatePeer(port: number, options: WsDeflateOptions | false = {}): Promise<WebSocket> {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/`, {
    perMessageDeflate: options === false ? false : { threshold: 0, ...options },
    maxPayload: 64 * 1024 * 1024,
  });
  peers.add(ws);
  ws.once('upgrade', (res) => responses.set(ws, String(res.headers['sec-websocket-extensions'] ?? '')));
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  });
}

/** The exact `Sec-WebSocket-Extensions` response header (`ws.extensions` only lists names). */
export function responseExtensions(ws: WebSocket): string | undefined {
  return responses.get(ws);
}

/** Terminates every client opened by {@link openDeflatePeer}. */
export function closeDeflatePeers(): void {
  for (const ws of peers) ws.terminate();
  peers.clear();
}

/** The next message the client receives. */
export function nextMessage(ws: WebSocket): Promise<[data: Buffer, isBinary: boolean]> {
  return new Promise((resolve, reject) => {
    const onMessage = (data: WebSocket.RawData, isBinary: boolean): void => {
      ws.off('close', onClose);
      resolve([data as Buffer, isBinary]);
    };
    const onClose = (code: number): void => {
      ws.off('message', onMessage);
      reject(new Error(`closed with ${code} before a message arrived`));
    };
    ws.once('message', onMessage);
    ws.once('close', onClose);
  });
}

/** The close code the client sees. */
export function closeCode(ws: WebSocket): Promise<number> {
  if (ws.readyState === WebSocket.CLOSED) return Promise.reject(new Error('already closed'));
  return new Promise((resolve) => ws.once('close', (code: number) => resolve(code)));
}

/**
 * Sends `payload` compressed (in fragments of `fragmentBytes` when given; the `ws` client
 * deflates each fragment with a sync flush and sets RSV1 on the first only) and asserts the
 * echo is byte-for-byte the same message with the same type.
 */
export async function expectEcho(ws: WebSocket, payload: Buffer, isBinary: boolean, fragmentBytes?: number): Promise<void> {
  const echoed = nextMessage(ws);
  if (fragmentBytes === undefined || fragmentBytes >= payload.length) {
    ws.send(payload, { binary: isBinary, compress: true });
  } else {
    for (let i = 0; i < payload.length; i += fragmentBytes) {
      ws.send(payload.subarray(i, i + fragmentBytes), { binary: isBinary, compress: true, fin: i + fragmentBytes >= payload.length });
    }
  }
  const [data, binary] = await echoed;
  expect(binary).toBe(isBinary);
  expect(data.length).toBe(payload.length);
  // Buffer#equals: a deep toEqual on 256 KiB is needlessly slow and its diff unreadable.
  expect(data.equals(payload)).toBe(true);
}

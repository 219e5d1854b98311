/**
 * Idle-connections workload: the server's resident memory per open, idle connection.
 *
 * RSS is read before opening and after all connections are open and have settled; the
 * difference divided by N is the per-connection cost. Afterwards every connection must still
 * echo one message, so a server that silently dropped connections cannot look cheap.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { buildClientFrame, KeyPool, makePayload, makeRandom, Opcode, onChunk } from '../wire.mjs';
import { ReplyReader } from '../reply-reader.mjs';
import { openFilesLimit, rssBytes } from '../proc-stat.mjs';
import { openMany } from './timeline.mjs';

const OPEN_CONCURRENCY = 100;
const WARM_CONNS = 50;
const LIVENESS_TIMEOUT_MS = 30_000;
/** File descriptors each process keeps for itself (stdio, epoll, libuv, pipes). */
const FD_RESERVE = 64;

/**
 * @param {{ target: { host: string, port: number, protocol: 'ws' | 'raw' }, serverPid: number,
 *   conns: number, settleMs: number }} cfg
 */
export async function runIdle(cfg) {
  const keys = new KeyPool();
  const random = makeRandom(0x1d1e);
  const limit = Math.min(openFilesLimit('self'), openFilesLimit(cfg.serverPid)) - FD_RESERVE;
  const count = Math.min(cfg.conns, limit);
  const rawEcho = cfg.target.protocol === 'raw';
  // Warm the server's code paths and allocator first, so the figure is per connection, not startup.
  const warm = await openMany(cfg.target, keys, WARM_CONNS, OPEN_CONCURRENCY);
  await echoOnce(warm, rawEcho, random);
  for (const c of warm) c.socket.destroy();
  await sleep(cfg.settleMs);
  const rssBefore = rssBytes(cfg.serverPid);
  const opened = await openMany(cfg.target, keys, count, OPEN_CONCURRENCY);
  try {
    await sleep(cfg.settleMs);
    const rssAfter = rssBytes(cfg.serverPid);
    await echoOnce(opened, rawEcho, random);
    return {
      conns: count,
      requested: cfg.conns,
      rssBefore,
      rssAfter,
      bytesPerConn: (rssAfter - rssBefore) / count,
    };
  } finally {
    for (const c of opened) c.socket.destroy();
  }
}

/**
 * One verified 32-byte echo on every connection.
 * @param {Array<{ socket: import('node:net').Socket, head: Buffer }>} conns
 */
function echoOnce(conns, rawEcho, random) {
  const checks = conns.map(({ socket }) => {
    const frame = buildClientFrame(Opcode.binary, makePayload(32, false, random), random);
    return new Promise((resolve, reject) => {
      const reader = new ReplyReader(rawEcho, () => frame, resolve);
      onChunk(socket, (chunk) => {
        try {
          reader.feed(chunk);
        } catch (err) {
          reject(err);
        }
      });
      socket.once('error', reject);
      socket.once('close', () => reject(new Error('server closed an idle connection')));
      socket.write(frame.frame);
    });
  });
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error('idle connections did not all echo')), LIVENESS_TIMEOUT_MS);
  });
  return Promise.race([Promise.all(checks), timeout]).finally(() => clearTimeout(timer));
}

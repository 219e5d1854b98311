/**
 * Idle-connections workload: the server's resident memory per open, idle connection.
 *
 * Connections are opened in steps (1,000, then up to 3,000, then up to 5,000 by default); after
 * the warm-up and after every step the server is told to collect garbage (SIGUSR2 to
 * bench/servers/gc-hook.cjs, when `gc` is set), given `settleMs`, and its RSS is read. Two figures:
 * - per connection at 3,000: (RSS with 3,000 open − RSS before) / 3,000 — the method of the
 *   outside measurement issue 14 quotes, so the two can be compared;
 * - marginal: (RSS at the last step − RSS at the first) / (connections between them) — the slope,
 *   which cancels what does not grow with N (V8's young generation grown during the handshake
 *   burst, code, pools) and so is the steadier figure.
 * Afterwards every connection must still echo one message, so a server that silently dropped
 * connections cannot look cheap.
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

/** The step the headline figure is read at (the outside measurement's N). */
export const COMPARE_AT = 3000;

/** Ask the server to collect garbage (only when it was started with the hook: SIGUSR2 would kill it otherwise), then wait. */
async function settle(cfg) {
  if (cfg.gc) process.kill(cfg.serverPid, 'SIGUSR2');
  await sleep(cfg.settleMs);
}

/**
 * @param {{ target: { host: string, port: number, protocol: 'ws' | 'raw' }, serverPid: number,
 *   conns: number, steps?: number[], settleMs: number, gc?: boolean }} cfg
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
  await settle(cfg);
  const rssBefore = rssBytes(cfg.serverPid);
  const steps = [...new Set([...(cfg.steps ?? [1000, COMPARE_AT]).filter((n) => n < count), count])].sort((a, b) => a - b);
  const opened = [];
  const rss = [];
  try {
    for (const step of steps) {
      opened.push(...(await openMany(cfg.target, keys, step - opened.length, OPEN_CONCURRENCY)));
      await settle(cfg);
      rss.push({ conns: step, rss: rssBytes(cfg.serverPid) });
    }
    await echoOnce(opened, rawEcho, random);
    const at = rss.find((r) => r.conns === COMPARE_AT) ?? rss[rss.length - 1];
    const first = rss[0];
    const last = rss[rss.length - 1];
    return {
      conns: count,
      requested: cfg.conns,
      gc: cfg.gc === true,
      rssBefore,
      steps: rss,
      comparedAt: at.conns,
      bytesPerConn: (at.rss - rssBefore) / at.conns,
      marginalBytesPerConn: last.conns > first.conns ? (last.rss - first.rss) / (last.conns - first.conns) : null,
      allBytesPerConn: (last.rss - rssBefore) / last.conns,
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

/**
 * Handshake workload: `concurrency` workers each repeat one full connection life — TCP connect,
 * upgrade, one verified 32 B echo, the close handshake (code 1000 both ways) and the server's
 * TCP close — and count completed lives per second. For the raw TCP echo the upgrade and the
 * close frames are skipped: connect, echo, FIN.
 *
 * With `rate`, lives start on a fixed schedule (at most `concurrency` at once) instead of as fast
 * as possible: every server then does the same work per second below its saturation, so CPU per
 * handshake is not helped by batching more events per wake-up (which a saturated server does, and
 * an outside measurement at a moderate rate does not see). `behind` counts lives started late.
 */
import { buildClientFrame, buildCloseFrame, KeyPool, connect, makePayload, makeRandom, Opcode, onChunk } from '../wire.mjs';
import { ReplyReader } from '../reply-reader.mjs';
import { setTimeout as sleep } from 'node:timers/promises';
import { performance } from 'node:perf_hooks';
import { Failure, snapshot, windowFigures } from './timeline.mjs';

const CYCLE_TIMEOUT_MS = 10_000;

/**
 * @param {{ target: { host: string, port: number, protocol: 'ws' | 'raw' }, serverPid: number,
 *   concurrency: number, rate?: number, warmupMs: number, measureMs: number }} cfg
 */
export async function runHandshakes(cfg) {
  const failure = new Failure();
  const keys = new KeyPool();
  const random = makeRandom(0x4a4d);
  const echo = buildClientFrame(Opcode.text, makePayload(32, true, random), random);
  const close = buildCloseFrame(1000, random);
  const state = { completed: 0, stopping: false, nextStart: performance.now(), behind: 0 };
  const interval = cfg.rate ? 1000 / cfg.rate : 0;
  const worker = async () => {
    while (!state.stopping && !failure.error) {
      if (interval > 0) {
        // Take the next slot of the schedule; a slot already past means the run fell behind it.
        const slot = state.nextStart;
        state.nextStart += interval;
        const wait = slot - performance.now();
        if (wait > 1) await sleep(wait);
        else if (wait < -interval) state.behind++;
        if (state.stopping) break;
      }
      await oneLife(cfg.target, keys, echo, close);
      state.completed++;
    }
  };
  const workers = Array.from({ length: cfg.concurrency }, () => worker().catch(failure.fail));
  await failure.sleep(cfg.warmupMs);
  const a = snapshot(cfg.serverPid, state.completed);
  const behindBefore = state.behind;
  await failure.sleep(cfg.measureMs);
  const b = snapshot(cfg.serverPid, state.completed);
  state.stopping = true;
  await Promise.race([Promise.all(workers), failure.promise]);
  return { ...windowFigures(a, b), offeredPerSec: cfg.rate ?? null, lateStarts: state.behind - behindBefore };
}

/**
 * @param {ReturnType<typeof buildClientFrame>} echo
 * @param {ReturnType<typeof buildClientFrame>} close
 */
async function oneLife(target, keys, echo, close) {
  const { socket, head } = await connect(target, keys);
  const rawEcho = target.protocol === 'raw';
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error('connection life did not complete'));
    }, CYCLE_TIMEOUT_MS);
    let replies = 0;
    let closing = false;
    // RFC 6455 §5.5.1: the server answers our close frame with its own, echoing the code.
    const expected = [echo, { opcode: Opcode.close, plain: close.plain }];
    const reader = new ReplyReader(rawEcho, () => expected[replies], () => {
      replies++;
      if (replies === 1) {
        closing = true;
        if (rawEcho) socket.end();
        else socket.write(close.frame);
      }
    });
    onChunk(socket, (chunk) => {
      try {
        reader.feed(chunk);
      } catch (err) {
        socket.destroy();
        reject(err);
      }
    });
    socket.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    // RFC 6455 §7.1.1: the server closes the TCP connection first once the handshake is done.
    socket.on('close', () => {
      clearTimeout(timer);
      const want = rawEcho ? 1 : 2;
      if (closing && replies === want) resolve();
      else reject(new Error(`connection closed after ${replies} of ${want} replies`));
    });
    if (head.length > 0) reader.feed(head);
    socket.write(echo.frame);
  });
}

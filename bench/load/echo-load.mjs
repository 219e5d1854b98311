/**
 * Echo workload: `conns` connections, each keeping `inflight` messages outstanding; every reply
 * is verified and immediately replaced by the next message.
 *
 * Each connection owns `inflight` distinct pre-built frames, sent round-robin. They are laid out
 * twice in one `ring` buffer, so the frames to send after k replies are always one contiguous
 * subarray: one zero-copy `write` per read, however many replies it carried.
 */
import { buildClientFrame, KeyPool, makePayload, makeRandom, Opcode, onChunk } from '../wire.mjs';
import { ReplyReader } from '../reply-reader.mjs';
import { Failure, drain, openMany, snapshot, windowFigures } from './timeline.mjs';

const OPEN_CONCURRENCY = 32;

/**
 * @param {{ target: { host: string, port: number, protocol: 'ws' | 'raw' }, serverPid: number,
 *   conns: number, inflight: number, size: number, text: boolean, warmupMs: number, measureMs: number }} cfg
 */
export async function runEcho(cfg) {
  const failure = new Failure();
  const keys = new KeyPool();
  const random = makeRandom(0x5eed ^ cfg.size);
  const opcode = cfg.text ? Opcode.text : Opcode.binary;
  const opened = await openMany(cfg.target, keys, cfg.conns, OPEN_CONCURRENCY);
  const state = { completed: 0, outstanding: 0, stopping: false, onDrained: () => {} };
  const conns = opened.map(({ socket, head }) => {
    const frames = Array.from({ length: cfg.inflight }, () =>
      buildClientFrame(opcode, makePayload(cfg.size, cfg.text, random), random),
    );
    return startConnection(socket, head, frames, cfg.target.protocol === 'raw', state, failure);
  });
  try {
    await failure.sleep(cfg.warmupMs);
    const a = snapshot(cfg.serverPid, state.completed);
    await failure.sleep(cfg.measureMs);
    const b = snapshot(cfg.serverPid, state.completed);
    await drain(state, failure);
    const figures = windowFigures(a, b);
    return { ...figures, payloadMBps: (figures.opsPerSec * cfg.size) / 1e6, totalVerified: state.completed };
  } finally {
    for (const c of conns) c.destroy();
  }
}


/**
 * @param {import('node:net').Socket} socket
 * @param {Buffer} head bytes that arrived with the upgrade response
 * @param {ReturnType<typeof buildClientFrame>[]} frames
 * @param {boolean} rawEcho
 */
function startConnection(socket, head, frames, rawEcho, state, failure) {
  const k = frames.length;
  const ring = Buffer.concat([...frames, ...frames].map((f) => f.frame));
  const offsets = [0];
  for (let i = 0; i < 2 * k; i++) offsets.push(offsets[i] + frames[i % k].frame.length);
  let sent = 0;
  let received = 0;
  let replies = 0;
  const reader = new ReplyReader(
    rawEcho,
    () => frames[received % k],
    () => {
      received++;
      replies++;
    },
  );
  const onData = (chunk) => {
    replies = 0;
    try {
      reader.feed(chunk);
    } catch (err) {
      failure.fail(err);
      return;
    }
    state.completed += replies;
    state.outstanding -= replies;
    if (replies > 0 && !state.stopping) {
      const from = sent % k;
      socket.write(ring.subarray(offsets[from], offsets[from + replies]));
      sent += replies;
      state.outstanding += replies;
    }
    if (state.stopping && state.outstanding === 0) state.onDrained();
  };
  onChunk(socket, onData);
  socket.on('error', (err) => failure.fail(err));
  socket.on('close', () => {
    if (!state.stopping || state.outstanding > 0) failure.fail(new Error('server closed a connection'));
  });
  if (head.length > 0) failure.fail(new Error('unexpected bytes right after the upgrade'));
  socket.write(ring.subarray(0, offsets[k]));
  sent = k;
  state.outstanding += k;
  return socket;
}

/**
 * Broadcast fan-out workload: `peers` connections say hello and wait for their welcome
 * (docs/protocol.md §4); then peer 0 sends `fire` events and the server broadcasts each one to all
 * peers (peer 0 included) as a `tick` event. Every peer verifies every tick it receives, in order
 * and byte for byte, against the envelope the server must produce; one operation is one verified
 * delivery to one peer.
 *
 * Flow control: at most `inflight` broadcasts are outstanding. Each connection delivers in order,
 * so broadcast s is complete (all peers have it) only after every earlier one is; its completion
 * fires broadcast s + inflight. The server never has more than `inflight` ticks queued per peer,
 * far below any slow-consumer limit.
 */
import { buildClientFrame, KeyPool, makeRandom, Opcode, onChunk } from '../wire.mjs';
import { ReplyReader } from '../reply-reader.mjs';
import { Failure, openMany, snapshot, windowFigures } from './timeline.mjs';

const OPEN_CONCURRENCY = 32;
const WELCOME_TIMEOUT_MS = 20_000;
const DRAIN_TIMEOUT_MS = 20_000;
const EMPTY = Buffer.alloc(0);
const WELCOME = { opcode: Opcode.text, plain: Buffer.from('{"v":1,"type":"welcome"}'), masked: EMPTY, maskKey: EMPTY };

/**
 * @param {{ target: { host: string, port: number, protocol: 'ws' | 'raw' }, serverPid: number,
 *   peers: number, inflight: number, size: number, warmupMs: number, measureMs: number }} cfg
 */
export async function runFanout(cfg) {
  const failure = new Failure();
  const random = makeRandom(0xfa40 ^ cfg.size);
  const messages = new TickMessages(cfg.size, 2 * cfg.inflight);
  const opened = await openMany(cfg.target, new KeyPool(), cfg.peers, OPEN_CONCURRENCY);
  const state = { peers: cfg.peers, delivered: 0, welcomed: 0, fired: 0, complete: 0, stopping: false, onWelcomed: () => {}, onDrained: () => {} };
  const counts = new Uint32Array(messages.ring);
  const trigger = opened[0].socket;
  const fire = () => {
    trigger.write(messages.fireFrame(state.fired, random));
    state.fired++;
  };
  const onTick = (seq) => {
    state.delivered++;
    const slot = seq % messages.ring;
    if (++counts[slot] < cfg.peers) return;
    counts[slot] = 0;
    state.complete++;
    if (!state.stopping) fire();
    else if (state.complete === state.fired) state.onDrained();
  };
  const sockets = opened.map(({ socket, head }) => startPeer(socket, head, messages, state, onTick, failure));
  try {
    const hello = buildClientFrame(Opcode.text, Buffer.from('{"v":1,"type":"hello"}'), random).frame;
    await untilAll(state, 'onWelcomed', () => {
      for (const socket of sockets) socket.write(hello);
    }, () => `${cfg.peers - state.welcomed} peers got no welcome`, WELCOME_TIMEOUT_MS, failure);
    for (let i = 0; i < cfg.inflight; i++) fire();
    await failure.sleep(cfg.warmupMs);
    const a = snapshot(cfg.serverPid, state.delivered);
    await failure.sleep(cfg.measureMs);
    const b = snapshot(cfg.serverPid, state.delivered);
    state.stopping = true;
    if (state.complete < state.fired) {
      await untilAll(state, 'onDrained', () => {}, () => `${state.fired - state.complete} broadcasts never reached every peer`, DRAIN_TIMEOUT_MS, failure);
    }
    const figures = windowFigures(a, b);
    return { ...figures, peers: cfg.peers, size: cfg.size, broadcastsPerSec: figures.opsPerSec / cfg.peers, totalVerified: state.delivered };
  } finally {
    for (const socket of sockets) socket.destroy();
  }
}

/** Run `start`, then wait for `state[hook]` to be called; fail with `what()` after `timeoutMs`. */
function untilAll(state, hook, start, what, timeoutMs, failure) {
  const done = new Promise((resolve) => {
    state[hook] = resolve;
  });
  start();
  const timeout = failure.sleep(timeoutMs).then(() => {
    throw new Error(what());
  });
  return Promise.race([done, timeout]);
}

/**
 * One peer: its first message must be the welcome, then ticks 0, 1, 2… in order.
 * @param {import('node:net').Socket} socket
 * @param {Buffer} head bytes that arrived with the upgrade response
 */
function startPeer(socket, head, messages, state, onTick, failure) {
  let next = -1; // -1: the welcome is due
  const reader = new ReplyReader(
    false,
    () => (next === -1 ? WELCOME : messages.expected(next)),
    () => {
      if (next === -1) {
        next = 0;
        if (++state.welcomed === state.peers) state.onWelcomed();
        return;
      }
      onTick(next++);
    },
  );
  onChunk(socket, (chunk) => {
    try {
      reader.feed(chunk);
    } catch (err) {
      failure.fail(err);
    }
  });
  socket.on('error', (err) => failure.fail(err));
  socket.on('close', () => {
    if (!state.stopping || state.complete < state.fired) failure.fail(new Error('server closed a connection'));
  });
  if (head.length > 0) failure.fail(new Error('unexpected bytes right after the upgrade'));
  return socket;
}

/**
 * The fire/tick pair of broadcast `seq`: what peer 0 sends and the exact text every peer must
 * receive (`{"v":1,"type":"event","name":"tick","payload":…}` with the payload re-serialised in
 * the same key order). Ids are fixed-width, so every tick is exactly `size` bytes. The expected
 * bytes of the last `ring` broadcasts are kept; no peer can be further behind than `inflight`.
 */
class TickMessages {
  /** @param {number} size @param {number} ring */
  constructor(size, ring) {
    this.ring = ring;
    const bare = this.#tick(0, '').length;
    if (bare > size) throw new Error(`tick size ${size} B is below the envelope's own ${bare} B`);
    // Realistic chat text, cut to the length that makes the whole envelope `size` bytes.
    const words = 'the quick brown fox jumps over the lazy dog while the crowd in the lobby keeps talking ';
    this.text = words.repeat(Math.ceil((size - bare) / words.length) + 1).slice(0, size - bare);
    /** @type {Array<{ opcode: number, plain: Buffer, masked: Buffer, maskKey: Buffer }>} */
    this.slots = new Array(ring);
  }

  #payload(seq, text) {
    return { id: `m${String(seq).padStart(9, '0')}`, room: 'lobby', from: 'bench', text };
  }

  #tick(seq, text) {
    return Buffer.from(JSON.stringify({ v: 1, type: 'event', name: 'tick', payload: this.#payload(seq, text) }));
  }

  /** The masked frame peer 0 sends to cause broadcast `seq`; records what the tick must be. */
  fireFrame(seq, random) {
    this.slots[seq % this.ring] = { opcode: Opcode.text, plain: this.#tick(seq, this.text), masked: EMPTY, maskKey: EMPTY };
    const fire = JSON.stringify({ v: 1, type: 'event', name: 'fire', payload: this.#payload(seq, this.text) });
    return buildClientFrame(Opcode.text, Buffer.from(fire), random).frame;
  }

  /** What the tick of broadcast `seq` must be. */
  expected(seq) {
    return this.slots[seq % this.ring];
  }
}

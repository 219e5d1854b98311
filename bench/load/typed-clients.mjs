/**
 * Load for bench/resume-cost.mjs: Tandem's own Node client (`dist/client-node.js`, resume on, as
 * an app would run it), so the server sees the real resume traffic — numbered envelopes and the
 * client's cumulative acks (piggybacked, or alone after 100 ms or 64 messages). Whether a session
 * is resumable is the server's choice (`--resume off` answers a plain welcome), so the same load
 * runs against both servers.
 *
 * - `runTypedEcho`: `conns` clients each keep `inflight` `request('echo', payload)` in flight;
 *   every answer is compared with its request. One operation = one request answered.
 * - `runTypedFanout`: `peers` clients; client 0 emits `fire`, the server broadcasts each as a
 *   `tick` to every peer; at most `inflight` broadcasts outstanding, every peer checks it gets
 *   ticks 0, 1, 2… in order. One operation = one delivery.
 * - As a script, `node bench/load/typed-clients.mjs hold <port> <sessions>` opens that many
 *   clients, prints `ready`, and waits to be killed (SIGKILL: the server sees the TCP connections
 *   die and suspends the sessions).
 */
import { createClient } from '../../dist/client-node.js';
import { Failure, snapshot, windowFigures } from './timeline.mjs';

const OPEN_CONCURRENCY = 50;
const DRAIN_TIMEOUT_MS = 20_000;
const TEXT = 'the quick brown fox jumps over the lazy dog while the crowd in the lobby keeps talking';

/** One client, resolved once its first welcome arrived. */
function openClient(port, failure) {
  const client = createClient(`ws://127.0.0.1:${port}/`, { network: null, logger: false, reconnect: false, requestTimeout: 30_000 });
  client.lifecycle.on('close', (info) => {
    if (!stopping.has(client)) failure.fail(new Error(`a client lost its connection (${info.code} ${info.reason})`));
  });
  return new Promise((resolve, reject) => {
    client.lifecycle.once('open', () => resolve(client));
    client.lifecycle.once('close', (info) => reject(new Error(`client could not connect (${info.code})`)));
  });
}

/** Clients closed on purpose (their close is not a failure). */
const stopping = new WeakSet();

/** Open `count` clients, `OPEN_CONCURRENCY` at a time. */
export async function openClients(port, count, failure = new Failure()) {
  const clients = [];
  for (let i = 0; i < count; i += OPEN_CONCURRENCY) {
    const batch = Array.from({ length: Math.min(OPEN_CONCURRENCY, count - i) }, () => openClient(port, failure));
    clients.push(...(await Promise.all(batch)));
  }
  return clients;
}

function closeAll(clients) {
  for (const client of clients) {
    stopping.add(client);
    client.close();
  }
}

/**
 * @param {{ port: number, serverPid: number, conns: number, inflight: number, warmupMs: number, measureMs: number, onMeasured?: () => Promise<object> }} cfg
 */
export async function runTypedEcho(cfg) {
  const failure = new Failure();
  const clients = await openClients(cfg.port, cfg.conns, failure);
  const state = { done: 0, outstanding: 0, stopping: false, onDrained: () => {} };
  const send = (client, n) => {
    state.outstanding++;
    const payload = { n, text: TEXT };
    client.request('echo', payload).then((answer) => {
      if (answer?.n !== n || answer.text !== TEXT) return failure.fail(new Error(`echo ${n} came back as ${JSON.stringify(answer)}`));
      state.done++;
      state.outstanding--;
      if (!state.stopping) send(client, n + cfg.inflight);
      else if (state.outstanding === 0) state.onDrained();
    }, failure.fail);
  };
  try {
    clients.forEach((client) => {
      for (let k = 0; k < cfg.inflight; k++) send(client, k);
    });
    return await measureWindow(cfg, state, failure, () => `${state.outstanding} echo requests never answered`);
  } finally {
    closeAll(clients);
  }
}

/**
 * @param {{ port: number, serverPid: number, peers: number, inflight: number, warmupMs: number, measureMs: number, onMeasured?: () => Promise<object> }} cfg
 */
export async function runTypedFanout(cfg) {
  const failure = new Failure();
  const clients = await openClients(cfg.port, cfg.peers, failure);
  const ring = 2 * cfg.inflight;
  const counts = new Uint32Array(ring);
  const state = { done: 0, fired: 0, complete: 0, outstanding: 0, stopping: false, onDrained: () => {} };
  const fire = () => {
    clients[0].emit('fire', { seq: state.fired++, text: TEXT });
    state.outstanding++;
  };
  clients.forEach((client) => {
    let next = 0;
    client.on('tick', ({ seq }) => {
      if (seq !== next) return failure.fail(new Error(`a peer got tick ${seq}, expected ${next}`));
      next++;
      state.done++;
      const slot = seq % ring;
      if (++counts[slot] < cfg.peers) return;
      counts[slot] = 0;
      state.outstanding--;
      if (!state.stopping) fire();
      else if (state.outstanding === 0) state.onDrained();
    });
  });
  try {
    for (let i = 0; i < cfg.inflight; i++) fire();
    const figures = await measureWindow(cfg, state, failure, () => `${state.outstanding} broadcasts never reached every peer`);
    return { ...figures, broadcastsPerSec: figures.opsPerSec / cfg.peers };
  } finally {
    closeAll(clients);
  }
}

/** Warm up, measure the server's CPU over the window, then wait for every operation to finish. */
async function measureWindow(cfg, state, failure, what) {
  await failure.sleep(cfg.warmupMs);
  const a = snapshot(cfg.serverPid, state.done);
  await failure.sleep(cfg.measureMs);
  const b = snapshot(cfg.serverPid, state.done);
  state.stopping = true;
  if (state.outstanding > 0) {
    const drained = new Promise((resolve) => (state.onDrained = resolve));
    const timeout = failure.sleep(DRAIN_TIMEOUT_MS).then(() => {
      throw new Error(what());
    });
    await Promise.race([drained, timeout]);
  }
  // The server's view (its session counts), read while every client is still connected.
  const measured = await cfg.onMeasured?.();
  return { ...windowFigures(a, b), measured };
}

if (process.argv[2] === 'hold') {
  const failure = new Failure();
  failure.promise.catch((err) => {
    process.stderr.write(`typed-clients: ${err.message}\n`);
    process.exit(1);
  });
  await openClients(Number(process.argv[3]), Number(process.argv[4]), failure);
  process.stdout.write('ready\n');
  setInterval(() => {}, 1 << 30); // held until killed
}

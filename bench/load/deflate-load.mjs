/**
 * permessage-deflate echo workload: `conns` connections that negotiated permessage-deflate
 * (RFC 7692), each keeping `inflight` compressed text messages of `size` bytes of JSON
 * outstanding, cycling through `distinct` different documents — enough (64 × 1,100 B) that the
 * server's 32 KiB window never holds an earlier copy of the message it is compressing, so its
 * compressor does the work a real stream of similar-but-new documents costs. Every message is compressed before the clock starts (the offer's
 * `client_no_context_takeover` makes each one independent); every reply is inflated with the
 * connection's context and compared byte for byte with what was sent, then replaced by the next
 * message. Compressed bytes differ between servers; the inflated text may not.
 */
import { buildCompressedFrame, connectDeflate } from '../deflate-wire.mjs';
import { InflatingReplyReader } from '../inflating-reply-reader.mjs';
import { KeyPool, makeRandom, Opcode } from '../wire.mjs';
import { Failure, drain, snapshot, windowFigures } from './timeline.mjs';

const OPEN_CONCURRENCY = 16;

/**
 * @param {{ target: { host: string, port: number }, serverPid: number, conns: number,
 *   inflight: number, distinct: number, size: number, warmupMs: number, measureMs: number }} cfg
 */
export async function runDeflate(cfg) {
  const failure = new Failure();
  const random = makeRandom(0xdef1a7e ^ cfg.size);
  const opened = await openAll(cfg.target, cfg.conns);
  const state = { completed: 0, outstanding: 0, stopping: false, onDrained: () => {} };
  const conns = opened.map((c) => {
    const frames = Array.from({ length: cfg.distinct }, () => buildCompressedFrame(Opcode.text, jsonDocument(cfg.size, random), random));
    return startConnection(c, frames, cfg.inflight, state, failure);
  });
  try {
    await failure.sleep(cfg.warmupMs);
    const a = snapshot(cfg.serverPid, state.completed);
    await failure.sleep(cfg.measureMs);
    const b = snapshot(cfg.serverPid, state.completed);
    await drain(state, failure);
    const figures = windowFigures(a, b);
    const stats = conns.reduce((t, c) => ({
      compressed: t.compressed + c.reader.stats.compressed,
      uncompressed: t.uncompressed + c.reader.stats.uncompressed,
      wireBytes: t.wireBytes + c.reader.stats.wireBytes,
    }), { compressed: 0, uncompressed: 0, wireBytes: 0 });
    const replies = stats.compressed + stats.uncompressed;
    return {
      ...figures,
      payloadMBps: (figures.opsPerSec * cfg.size) / 1e6,
      totalVerified: state.completed,
      agreed: opened[0].agreed,
      requestWireBytes: conns[0].requestWireBytes,
      replyWireBytes: replies > 0 ? stats.wireBytes / replies : null,
      uncompressedReplies: stats.uncompressed,
    };
  } finally {
    for (const c of conns) {
      c.socket.destroy();
      c.reader.close();
    }
  }
}

/** Open `count` upgraded connections, at most OPEN_CONCURRENCY at a time. */
async function openAll(target, count) {
  const keys = new KeyPool();
  const opened = new Array(count);
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const i = next++;
      opened[i] = await connectDeflate(target, keys);
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(OPEN_CONCURRENCY, count) }, worker));
  } catch (err) {
    for (const c of opened) c?.socket.destroy();
    throw err;
  }
  return opened;
}


/** Send `inflight` frames, then one more per verified reply, round-robin over `frames`. */
function startConnection({ socket, head, setHandler }, frames, inflight, state, failure) {
  const k = frames.length;
  let sent = 0;
  // Counted when a reply starts arriving: verification is asynchronous, so the next reply may
  // begin before the previous one is verified.
  let started = 0;
  const reader = new InflatingReplyReader(
    () => frames[started++ % k],
    () => {
      state.completed++;
      state.outstanding--;
      if (!state.stopping) {
        socket.write(frames[sent++ % k].frame);
        state.outstanding++;
      } else if (state.outstanding === 0) state.onDrained();
    },
    (err) => failure.fail(err),
  );
  setHandler((chunk) => {
    try {
      reader.feed(chunk);
    } catch (err) {
      failure.fail(err);
    }
  });
  socket.on('error', (err) => failure.fail(err));
  socket.on('close', () => {
    if (!state.stopping || state.outstanding > 0) failure.fail(new Error('server closed a connection'));
  });
  if (head.length > 0) failure.fail(new Error('unexpected bytes right after the upgrade'));
  for (; sent < inflight; sent++) socket.write(frames[sent % k].frame);
  state.outstanding += inflight;
  return { socket, reader, requestWireBytes: frames.reduce((t, f) => t + f.wireBytes, 0) / k };
}

/**
 * Realistic JSON of exactly `size` bytes (ASCII): a page of order records with repeated keys and
 * varying values, as an API would push, closed by a padding field that fixes the length.
 * @param {number} size
 * @param {() => number} random
 */
export function jsonDocument(size, random) {
  const names = ['Ada Lovelace', 'Grace Hopper', 'Alan Turing', 'Edsger Dijkstra', 'Barbara Liskov', 'Ken Thompson'];
  const states = ['pending', 'paid', 'shipped', 'delivered'];
  const doc = { type: 'orders', page: random() % 100, items: [], note: '' };
  const frame = () => JSON.stringify(doc).length;
  for (;;) {
    const item = {
      id: 100000 + (random() % 900000),
      customer: names[random() % names.length],
      status: states[random() % states.length],
      total: (random() % 100000) / 100,
      sku: `SKU-${(random() % 100000).toString().padStart(5, '0')}`,
      qty: 1 + (random() % 9),
    };
    doc.items.push(item);
    if (frame() > size - 8) {
      doc.items.pop();
      break;
    }
  }
  const pad = size - frame();
  const letters = 'abcdefghijklmnopqrstuvwxyz';
  doc.note = Array.from({ length: pad }, () => letters[random() % 26]).join('');
  const text = Buffer.from(JSON.stringify(doc));
  if (text.length !== size) throw new Error(`JSON document of ${text.length} B, wanted ${size}`);
  return text;
}

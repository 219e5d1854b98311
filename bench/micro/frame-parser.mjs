/**
 * Frame parser MB/s on chunked input (server role: masked client frames), Tandem's FrameParser
 * beside ws's Receiver. The stream is cut into 16 KiB chunks that ignore frame boundaries, as a
 * socket delivers them. Both parsers unmask in place, so every pass first restores the masked
 * bytes with one copy (the same for both, and about 2% of a pass).
 */
import { createRequire } from 'node:module';
import { buildClientFrame, makePayload, makeRandom, Opcode } from '../wire.mjs';
import { emit, opsPerSecond } from './measure.mjs';
import { loadEngine } from './tandem-engine.mjs';

const require = createRequire(import.meta.url);
const { Receiver } = require('ws');
const CHUNK_BYTES = 16 * 1024;

const engine = await loadEngine();
const shapes = [
  { bench: 'parse 32 B text frames', size: 32, text: true, count: 8192 },
  { bench: 'parse 1 KiB binary frames', size: 1024, text: false, count: 512 },
  { bench: 'parse 64 KiB binary frames', size: 64 * 1024, text: false, count: 16 },
];

for (const shape of shapes) {
  const random = makeRandom(shape.size);
  const opcode = shape.text ? Opcode.text : Opcode.binary;
  const frames = Array.from({ length: shape.count }, () =>
    buildClientFrame(opcode, makePayload(shape.size, shape.text, random), random).frame,
  );
  const original = Buffer.concat(frames);
  const work = Buffer.from(original);
  const chunks = [];
  for (let off = 0; off < work.length; off += CHUNK_BYTES) chunks.push(work.subarray(off, off + CHUNK_BYTES));
  const pass = (feed, counter) => () => {
    work.set(original);
    const before = counter.messages;
    for (const chunk of chunks) feed(chunk);
    if (counter.messages - before !== shape.count) throw new Error(`${shape.bench}: lost messages`);
  };
  const rate = (fn) => (opsPerSecond(fn) * original.length) / 1e6;

  const wsCounter = { messages: 0 };
  const receiver = new Receiver({ isServer: true, maxPayload: 0 });
  receiver.on('message', () => wsCounter.messages++);
  receiver.on('error', (err) => {
    throw err;
  });
  emit({ bench: shape.bench, impl: 'ws Receiver', value: rate(pass((c) => receiver.write(c), wsCounter)), unit: 'MB/s' });

  if (typeof engine.FrameParser === 'function') {
    const counter = { messages: 0 };
    const parser = new engine.FrameParser(
      { role: 'server' },
      {
        onMessage: () => counter.messages++,
        onControl: () => {},
        onError: (err) => {
          throw err;
        },
      },
    );
    emit({ bench: shape.bench, impl: 'Tandem FrameParser', value: rate(pass((c) => parser.push(c), counter)), unit: 'MB/s' });
  } else {
    emit({ bench: shape.bench, impl: 'Tandem', value: null, unit: 'MB/s', note: 'not available (no FrameParser in dist/rfc6455.js)' });
  }
}

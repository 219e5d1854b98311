/**
 * Frame writer ns/frame: Tandem's encodeFrameParts beside ws's Sender.frame, both returning
 * `[header, payload]` without copying a server-role payload; plus the client role (fresh random
 * mask key per frame, payload masked into a copy) at 1 KiB.
 */
import { createRequire } from 'node:module';
import { makePayload, makeRandom, Opcode } from '../wire.mjs';
import { emit, opsPerSecond } from './measure.mjs';
import { loadEngine } from './tandem-engine.mjs';

const require = createRequire(import.meta.url);
const { Sender } = require('ws');

const engine = await loadEngine();
const random = makeRandom(99);
const nsPerFrame = (fn) => 1e9 / opsPerSecond(fn);
const cases = [
  { bench: 'write 32 B frame (server)', size: 32, masked: false },
  { bench: 'write 1 KiB frame (server)', size: 1024, masked: false },
  { bench: 'write 64 KiB frame (server)', size: 64 * 1024, masked: false },
  { bench: 'write 1 KiB frame (client, masked)', size: 1024, masked: true },
];

let sink = 0;
for (const c of cases) {
  const payload = makePayload(c.size, false, random);
  const wsOptions = { fin: true, rsv1: false, opcode: Opcode.binary, mask: c.masked, readOnly: true };
  emit({ bench: c.bench, impl: 'ws Sender.frame', value: nsPerFrame(() => (sink += Sender.frame(payload, wsOptions).length)), unit: 'ns/frame' });
  if (typeof engine.encodeFrameParts === 'function') {
    const key = new Uint8Array(4);
    const encode = c.masked
      ? () => {
          engine.randomMaskKey(key);
          sink += engine.encodeFrameParts(Opcode.binary, payload, true, false, key).length;
        }
      : () => (sink += engine.encodeFrameParts(Opcode.binary, payload, true, false, null).length);
    emit({ bench: c.bench, impl: 'Tandem encodeFrameParts', value: nsPerFrame(encode), unit: 'ns/frame' });
  } else {
    emit({ bench: c.bench, impl: 'Tandem', value: null, unit: 'ns/frame', note: 'not available (no encodeFrameParts in dist/rfc6455.js)' });
  }
}
if (sink === 0) throw new Error('nothing was framed');

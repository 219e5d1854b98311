/**
 * Unmask MB/s at 1 KiB and 64 KiB, in place: Tandem's engine beside a plain copy (the memory
 * bandwidth ceiling), a byte-at-a-time loop (bufferutil's JS fallback) and bufferutil's native
 * unmask (what ws uses here for payloads of 32 bytes and more).
 */
import { createRequire } from 'node:module';
import { emit, opsPerSecond } from './measure.mjs';
import { loadEngine, missing, pick } from './tandem-engine.mjs';

const require = createRequire(import.meta.url);
const bufferutil = require('bufferutil');
const fallback = require('bufferutil/fallback');
const TANDEM_NAMES = ['unmask', 'applyMask', 'mask'];

const engine = await loadEngine();
const tandem = pick(engine, TANDEM_NAMES);
const maskKey = Buffer.from([0x37, 0xfa, 0x21, 0x3d]);

for (const size of [1024, 64 * 1024]) {
  const bench = `unmask ${size / 1024} KiB`;
  const data = Buffer.alloc(size, 0x5a);
  const target = Buffer.alloc(size);
  const rate = (fn) => (opsPerSecond(fn) * size) / 1e6;
  emit({ bench, impl: 'plain copy (Uint8Array#set)', value: rate(() => target.set(data)), unit: 'MB/s' });
  emit({ bench, impl: 'byte loop (bufferutil JS fallback)', value: rate(() => fallback.unmask(data, maskKey)), unit: 'MB/s' });
  emit({ bench, impl: 'bufferutil native (ws)', value: rate(() => bufferutil.unmask(data, maskKey)), unit: 'MB/s' });
  if (tandem) {
    emit({ bench, impl: `Tandem ${tandem.name}`, value: rate(() => tandem.fn(data, maskKey)), unit: 'MB/s' });
  } else {
    emit({ bench, impl: 'Tandem', value: null, unit: 'MB/s', note: missing(TANDEM_NAMES) });
  }
}

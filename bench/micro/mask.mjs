/**
 * Unmasking, in MB/s of payload.
 *
 * In place at 128 B, 1 KiB, 16 KiB and 64 KiB: Tandem's engine (JS, 64-bit words) and the
 * server's WebAssembly SIMD unmasker beside a plain copy (the memory bandwidth ceiling), a
 * byte-at-a-time loop (bufferutil's JS fallback) and bufferutil's native unmask (what ws uses).
 *
 * Joining a payload that spans two reads (64 KiB and 1 MiB, split at an odd offset, as a 64 KiB
 * frame lands across socket reads): unmask the pieces in place then copy them into the joined
 * buffer (the parser before issue 14; ws does the same with bufferutil), against the one-pass
 * `unmaskInto` of the JS and WebAssembly unmaskers. The joined buffer is allocated once and
 * reused: every variant allocates the same one in the parser, and fresh 64 KiB-1 MiB buffers made
 * this figure follow the garbage collector instead of the copy.
 */
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { emit, opsPerSecond } from './measure.mjs';
import { loadEngine, missing, pick } from './tandem-engine.mjs';

const require = createRequire(import.meta.url);
const bufferutil = require('bufferutil');
const fallback = require('bufferutil/fallback');
const TANDEM_NAMES = ['unmask', 'applyMask', 'mask'];
const WASM_URL = new URL('../../dist/wasm-unmasker.js', import.meta.url);

const engine = await loadEngine();
const tandem = pick(engine, TANDEM_NAMES);
const jsUnmasker = engine.jsUnmasker;
const wasm = existsSync(WASM_URL) ? (await import(WASM_URL.href)).createWasmUnmasker() : undefined;
const maskKey = Buffer.from([0x37, 0xfa, 0x21, 0x3d]);
const PACKED = 0x37fa213d;

for (const size of [128, 1024, 16 * 1024, 64 * 1024]) {
  const bench = `unmask ${size < 1024 ? `${size} B` : `${size / 1024} KiB`}`;
  const data = Buffer.alloc(size, 0x5a);
  const target = Buffer.alloc(size);
  const rate = (fn) => (opsPerSecond(fn) * size) / 1e6;
  emit({ bench, impl: 'plain copy (Uint8Array#set)', value: rate(() => target.set(data)), unit: 'MB/s' });
  emit({ bench, impl: 'byte loop (bufferutil JS fallback)', value: rate(() => fallback.unmask(data, maskKey)), unit: 'MB/s' });
  emit({ bench, impl: 'bufferutil native (ws)', value: rate(() => bufferutil.unmask(data, maskKey)), unit: 'MB/s' });
  if (tandem) {
    emit({ bench, impl: `Tandem ${tandem.name} (JS)`, value: rate(() => tandem.fn(data, maskKey)), unit: 'MB/s' });
  } else {
    emit({ bench, impl: 'Tandem', value: null, unit: 'MB/s', note: missing(TANDEM_NAMES) });
  }
  if (wasm) emit({ bench, impl: 'Tandem server (WebAssembly SIMD)', value: rate(() => wasm.unmask(data, PACKED, 0)), unit: 'MB/s' });
  else emit({ bench, impl: 'Tandem server (WebAssembly SIMD)', value: null, unit: 'MB/s', note: 'not available (dist/wasm-unmasker.js not built)' });
}

for (const size of [64 * 1024, 1024 * 1024]) {
  const bench = `join a ${size === 65536 ? '64 KiB' : '1 MiB'} payload spanning 2 reads`;
  // The first read ends 1,013 bytes into the payload, the payload starting at an odd offset.
  const first = Buffer.alloc(64 * 1024, 1).subarray(64 * 1024 - 1013);
  const second = Buffer.alloc(size, 2).subarray(0, size - first.length);
  const rate = (fn) => (opsPerSecond(fn) * size) / 1e6;
  const joined = Buffer.alloc(size);
  const copy = () => {
    joined.set(first);
    joined.set(second, first.length);
  };
  emit({ bench, impl: 'copy only (no unmask)', value: rate(copy), unit: 'MB/s' });
  emit({
    bench,
    impl: 'bufferutil unmask pieces, then copy (ws)',
    value: rate(() => {
      bufferutil.unmask(first, maskKey);
      bufferutil.unmask(second, maskKey); // ws unmasks the joined buffer instead: the same work
      copy();
    }),
    unit: 'MB/s',
  });
  if (jsUnmasker) {
    emit({
      bench,
      impl: 'Tandem JS: unmask pieces in place, then copy (before)',
      value: rate(() => {
        jsUnmasker.unmask(first, PACKED, 0);
        jsUnmasker.unmask(second, PACKED, first.length);
        copy();
      }),
      unit: 'MB/s',
    });
    emit({ bench, impl: 'Tandem JS unmaskInto (copy, unmask aligned copy)', value: rate(() => joinWith(jsUnmasker, first, second, joined)), unit: 'MB/s' });
  }
  if (wasm) {
    emit({ bench, impl: 'Tandem server WebAssembly unmaskInto (one pass)', value: rate(() => joinWith(wasm, first, second, joined)), unit: 'MB/s' });
  }
}

function joinWith(unmasker, first, second, joined) {
  unmasker.unmaskInto(first, joined, 0, PACKED, 0);
  unmasker.unmaskInto(second, joined, first.length, PACKED, first.length);
}

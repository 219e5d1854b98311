/**
 * The fuzz corpus on disk: test/fuzz/corpus/<target>/<name>.hex, one input per file (hex, so a
 * diff shows what changed). `seed-*` files are written by `node test/fuzz/corpus.mjs --seeds`
 * (hand-picked valid and invalid inputs per target); `found-*` files are inputs the long run
 * (`npm run fuzz`) found interesting (a new outcome) and saved. Both are replayed by the CI test.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, readdirSync, writeFileSync, existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { FRAME_TARGETS, TARGETS, fromHex, toHex } from './harness.mjs';

export const CORPUS_DIR = fileURLToPath(new URL('./corpus/', import.meta.url));

/** Every input of `target`, in file-name order. */
export function loadCorpus(target) {
  const dir = `${CORPUS_DIR}${target}`;
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.hex'))
    .sort()
    .map((f) => fromHex(readFileSync(`${dir}/${f}`, 'utf8')));
}

/** Saves `bytes` under `target` as `<prefix>-<sha1 prefix>.hex`; returns the file name. */
export function saveInput(target, bytes, prefix = 'found') {
  const dir = `${CORPUS_DIR}${target}`;
  mkdirSync(dir, { recursive: true });
  const name = `${prefix}-${createHash('sha1').update(bytes).digest('hex').slice(0, 12)}.hex`;
  writeFileSync(`${dir}/${name}`, `${toHex(bytes)}\n`);
  return name;
}

function frame(opcode, payload, { fin = true, rsv1 = false, mask = null, lengthBytes } = {}) {
  const data = typeof payload === 'string' ? new TextEncoder().encode(payload) : Uint8Array.from(payload);
  const size = lengthBytes ?? (data.length < 126 ? 0 : data.length < 65536 ? 2 : 8);
  const head = [(fin ? 0x80 : 0) | (rsv1 ? 0x40 : 0) | opcode];
  const m = mask === null ? 0 : 0x80;
  if (size === 0) head.push(m | data.length);
  else if (size === 2) head.push(m | 126, data.length >> 8, data.length & 0xff);
  else head.push(m | 127, 0, 0, 0, 0, (data.length >>> 24) & 0xff, (data.length >> 16) & 0xff, (data.length >> 8) & 0xff, data.length & 0xff);
  if (mask !== null) {
    head.push(...mask);
    for (let i = 0; i < data.length; i++) data[i] ^= mask[i & 3];
  }
  return [...head, ...data];
}

/** Seed inputs for one frame target: every kind of frame, fragmentation, limits and classic violations. */
function frameSeeds(target) {
  const { role, rsv1Allowed } = FRAME_TARGETS[target];
  const mask = role === 'server' ? [0x37, 0xfa, 0x21, 0x3d] : null;
  const f = (opcode, payload, options = {}) => frame(opcode, payload, { mask, ...options });
  const seeds = {
    'text-hello': f(1, 'Hello'),
    'binary-empty': f(2, []),
    'text-fragmented-utf8-split': [...f(1, [0xce], { fin: false }), ...f(0, [0xba, 0xe1, 0xbd], { fin: false }), ...f(0, [0xb9, 0xcf, 0x83], {})],
    'ping-pong-close': [...f(9, 'ping'), ...f(10, 'pong'), ...f(8, [0x03, 0xe8, 0x62, 0x79, 0x65])],
    'ping-inside-fragments': [...f(2, [1, 2], { fin: false }), ...f(9, []), ...f(0, [3], {})],
    'binary-16bit-length': f(2, Array.from({ length: 300 }, (_, i) => i & 0xff)),
    'binary-64bit-length-too-big': f(2, Array.from({ length: 70_000 }, () => 7)).slice(0, 40),
    'close-empty': f(8, []),
    'close-invalid-code': f(8, [0x03, 0xed]),
    'text-invalid-utf8': f(1, [0xc3, 0x28]),
    'reserved-opcode': f(3, [1]),
    'wrong-mask-bit': frame(2, [1, 2, 3], { mask: mask === null ? [1, 2, 3, 4] : null }),
    'non-minimal-length': f(2, [1, 2], { lengthBytes: 2 }),
    'continuation-without-start': f(0, [1]),
    'control-too-long': f(9, Array.from({ length: 126 }, () => 1)),
    'too-many-fragments': Array.from({ length: 20 }, (_, i) => f(i === 0 ? 2 : 0, [i], { fin: i === 19 })).flat(),
    'rsv1-text': f(1, [0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00], { rsv1: true }),
    'rsv1-continuation': [...f(2, [1], { fin: false, rsv1: true }), ...f(0, [2], { rsv1: true })],
  };
  if (!rsv1Allowed) delete seeds['rsv1-continuation'];
  return seeds;
}

function envelopeSeeds() {
  const text = (value) => new TextEncoder().encode(JSON.stringify(value));
  const json = new TextEncoder().encode('{"v":1,"type":"event","name":"file","payload":{"data":{"$bin":0}},"bin":[3]}');
  const binary = [0x01, (json.length >>> 24) & 0xff, (json.length >> 16) & 0xff, (json.length >> 8) & 0xff, json.length & 0xff, ...json, 1, 2, 3];
  return {
    hello: text({ v: 1, type: 'hello', auth: { token: 't' } }),
    welcome: text({ v: 1, type: 'welcome', sid: 's1' }),
    event: text({ v: 1, type: 'event', name: 'say', payload: { text: 'hi é' }, seq: 3 }),
    request: text({ v: 1, type: 'request', id: 7, name: 'join', payload: { room: 'a' } }),
    response: text({ v: 1, type: 'response', id: 7, payload: ['x'] }),
    error: text({ v: 1, type: 'error', id: 7, code: 'timeout', message: 'late' }),
    ping: text({ v: 1, type: 'ping' }),
    'unknown-version': text({ v: 2, type: 'ping' }),
    'not-json': new TextEncoder().encode('{"v":1,'),
    'binary-attachment': binary,
  };
}

/** Writes the seed inputs of every target. */
export function writeSeeds() {
  for (const target of TARGETS) {
    const seeds = target === 'envelopes' ? envelopeSeeds() : frameSeeds(target);
    for (const [name, bytes] of Object.entries(seeds)) {
      mkdirSync(`${CORPUS_DIR}${target}`, { recursive: true });
      writeFileSync(`${CORPUS_DIR}${target}/seed-${name}.hex`, `${toHex(Uint8Array.from(bytes))}\n`);
    }
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url) && process.argv.includes('--seeds')) writeSeeds();

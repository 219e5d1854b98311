/**
 * RFC 6455 §5.3 masking: `data[i] ^= key[(offset + i) % 4]`, in place.
 *
 * The fast path XORs aligned 64-bit words (loop unrolled by 8) with a byte loop for the unaligned
 * head and tail. V8's optimising compiler lowers `BigUint64Array` loads, XORs and stores to plain
 * 64-bit machine operations (no BigInt is allocated), which measured ~1.6x faster than the
 * earlier 32-bit `Int32Array` loop on 64 KiB (docs/performance.md, "What was tried").
 * test/src/rfc6455/mask*.test.ts prove it equal to the byte loop at every alignment and length.
 */

/** Below this length, building the word view costs more than the byte loop saves. */
const WORD_PATH_MIN_BYTES = 32;

// Scratch used to build the 8-byte mask word in the platform's byte order (no allocation per call).
const wordBytes = new Uint8Array(8);
const wordView = new BigUint64Array(wordBytes.buffer);

/**
 * XOR `data` with the 4-byte `key` in place. `offset` is the position of `data[0]` within the
 * frame's payload, so a payload arriving in pieces can be unmasked piece by piece.
 */
export function applyMask(data: Uint8Array, key: Uint8Array, offset = 0): void {
  applyPackedMask(data, ((key[0]! << 24) | (key[1]! << 16) | (key[2]! << 8) | key[3]!) >>> 0, offset);
}

/**
 * {@link applyMask} with the key packed big-endian into one number (`key[0]` in the top byte):
 * the parser stores a frame's key this way, which costs no per-connection array.
 */
export function applyPackedMask(data: Uint8Array, packedKey: number, offset = 0): void {
  const length = data.length;
  if (length < WORD_PATH_MIN_BYTES) {
    for (let i = 0; i < length; i++) data[i] = data[i]! ^ keyByte(packedKey, offset + i);
    return;
  }
  // Bytes until data's address is 8-aligned: BigUint64Array views need an aligned byte offset.
  const head = (8 - (data.byteOffset & 7)) & 7;
  for (let i = 0; i < head; i++) data[i] = data[i]! ^ keyByte(packedKey, offset + i);
  for (let k = 0; k < 8; k++) wordBytes[k] = keyByte(packedKey, offset + head + k);
  const maskWord = wordView[0]!;
  const wordCount = (length - head) >>> 3;
  const words = new BigUint64Array(data.buffer, data.byteOffset + head, wordCount);
  let w = 0;
  // Unrolled by 8: measured ~1.3x faster than the plain 64-bit loop on V8.
  for (const end = wordCount - 7; w < end; w += 8) {
    words[w] = words[w]! ^ maskWord;
    words[w + 1] = words[w + 1]! ^ maskWord;
    words[w + 2] = words[w + 2]! ^ maskWord;
    words[w + 3] = words[w + 3]! ^ maskWord;
    words[w + 4] = words[w + 4]! ^ maskWord;
    words[w + 5] = words[w + 5]! ^ maskWord;
    words[w + 6] = words[w + 6]! ^ maskWord;
    words[w + 7] = words[w + 7]! ^ maskWord;
  }
  for (; w < wordCount; w++) words[w] = words[w]! ^ maskWord;
  for (let i = head + wordCount * 8; i < length; i++) data[i] = data[i]! ^ keyByte(packedKey, offset + i);
}

/** The key byte that masks payload position `position` (RFC 6455 §5.3: `j = i MOD 4`). */
function keyByte(packedKey: number, position: number): number {
  return (packedKey >>> (24 - 8 * (position & 3))) & 0xff;
}

/**
 * How the parser unmasks payloads: in place, and while copying a payload that spans chunks into
 * its joined buffer. The engine's default is {@link jsUnmasker}; the server injects a WebAssembly
 * SIMD one that does the copy and the XOR in one pass (server/socket/wasm/wasm-unmasker.ts), the
 * way it injects node:buffer's `isUtf8`, since src/ may use no platform API beyond ES2022.
 * `packedKey` is the key packed big-endian (see {@link applyPackedMask}); `offset` is the position
 * of `source[0]` (or `data[0]`) within the frame's payload.
 */
export interface Unmasker {
  /** XOR `data` with the key in place. */
  unmask(data: Uint8Array, packedKey: number, offset: number): void;
  /**
   * Write `source` XOR the key into `target` from `targetOffset`. `source` is consumed: its bytes
   * are unspecified afterwards (an implementation may unmask it in place first).
   */
  unmaskInto(source: Uint8Array, target: Uint8Array, targetOffset: number, packedKey: number, offset: number): void;
}

/**
 * The portable {@link Unmasker}: `unmaskInto` unmasks the source in place, then copies it. In JS a
 * fused read-XOR-write loop, and copying first then unmasking the (8-aligned) copy, both measured
 * slower than these two passes (docs/performance.md).
 */
export const jsUnmasker: Unmasker = Object.freeze({
  unmask: applyPackedMask,
  unmaskInto(source: Uint8Array, target: Uint8Array, targetOffset: number, packedKey: number, offset: number): void {
    applyPackedMask(source, packedKey, offset);
    target.set(source, targetOffset);
  },
});

/** The reference byte loop (also the path for short payloads). */
export function applyMaskBytewise(data: Uint8Array, key: Uint8Array, offset = 0): void {
  for (let i = 0; i < data.length; i++) data[i] = data[i]! ^ key[(offset + i) & 3]!;
}

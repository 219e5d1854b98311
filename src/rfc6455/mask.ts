/**
 * RFC 6455 §5.3 masking: `data[i] ^= key[(offset + i) % 4]`, in place.
 *
 * The fast path XORs aligned 32-bit words (loop unrolled by 8) (one operation per 4 bytes) with a byte loop for the
 * unaligned head and tail; test/src/rfc6455/mask.test.ts proves it equal to the byte loop at every
 * alignment and length, and bench/ measures it against a plain copy.
 */

/** Below this length, building the word view costs more than the byte loop saves. */
const WORD_PATH_MIN_BYTES = 32;

// Scratch used to build the mask word in the platform's byte order (no allocation per call).
const wordBytes = new Uint8Array(4);
// Int32 (not Uint32): values stay small integers in V8, so the XOR loop never boxes a double.
const wordView = new Int32Array(wordBytes.buffer);

/**
 * XOR `data` with the 4-byte `key` in place. `offset` is the position of `data[0]` within the
 * frame's payload, so a payload arriving in pieces can be unmasked piece by piece.
 */
export function applyMask(data: Uint8Array, key: Uint8Array, offset = 0): void {
  const length = data.length;
  if (length < WORD_PATH_MIN_BYTES) {
    applyMaskBytewise(data, key, offset);
    return;
  }
  // Bytes until data's address is 4-aligned: Uint32Array views need an aligned byte offset.
  const head = (4 - (data.byteOffset & 3)) & 3;
  for (let i = 0; i < head; i++) data[i] = data[i]! ^ key[(offset + i) & 3]!;
  for (let k = 0; k < 4; k++) wordBytes[k] = key[(offset + head + k) & 3]!;
  const maskWord = wordView[0]!;
  const wordCount = (length - head) >>> 2;
  const words = new Int32Array(data.buffer, data.byteOffset + head, wordCount);
  let w = 0;
  // Unrolled by 8: measured ~1.5x faster than the plain word loop on V8 (bench/ has the numbers).
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
  for (let i = head + wordCount * 4; i < length; i++) data[i] = data[i]! ^ key[(offset + i) & 3]!;
}

/** The reference byte loop (also the path for short payloads). */
export function applyMaskBytewise(data: Uint8Array, key: Uint8Array, offset = 0): void {
  for (let i = 0; i < data.length; i++) data[i] = data[i]! ^ key[(offset + i) & 3]!;
}

/**
 * RFC 6455 §5.3 masking: `data[i] ^= key[(offset + i) % 4]`, in place.
 *
 * The fast path XORs aligned 32-bit words (one operation per 4 bytes) with a byte loop for the
 * unaligned head and tail; test/src/rfc6455/mask.test.ts proves it equal to the byte loop at every
 * alignment and length, and bench/ measures it against a plain copy.
 */

/** Below this length, building the word view costs more than the byte loop saves. */
const WORD_PATH_MIN_BYTES = 32;

// Scratch used to build the mask word in the platform's byte order (no allocation per call).
const wordBytes = new Uint8Array(4);
const wordView = new Uint32Array(wordBytes.buffer);

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
  const words = new Uint32Array(data.buffer, data.byteOffset + head, wordCount);
  for (let w = 0; w < wordCount; w++) words[w] = words[w]! ^ maskWord;
  for (let i = head + wordCount * 4; i < length; i++) data[i] = data[i]! ^ key[(offset + i) & 3]!;
}

/** The reference byte loop (also the path for short payloads). */
export function applyMaskBytewise(data: Uint8Array, key: Uint8Array, offset = 0): void {
  for (let i = 0; i < data.length; i++) data[i] = data[i]! ^ key[(offset + i) & 3]!;
}

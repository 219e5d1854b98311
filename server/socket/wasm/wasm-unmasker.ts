/**
 * The server's {@link Unmasker}: WebAssembly SIMD (16 bytes per XOR) instead of the engine's
 * 64-bit-word JS loop. src/ is ES2022 only, so the engine cannot name `WebAssembly`; the server
 * injects this through its engine options (server/socket/engine-options.ts), as it injects
 * node:buffer's `isUtf8`.
 *
 * A module reaches only its own memory, so a payload goes through it in blocks: copy a block in,
 * XOR it there, copy it out — to where it was (`unmask`) or straight into the buffer a spanning
 * payload is joined into (`unmaskInto`, one pass instead of unmask-then-copy). Blocks of 16 KiB
 * stay in the L1/L2 cache on the way in and out, which measured faster than whole 64 KiB payloads
 * (docs/performance.md). Short payloads take the JS loop: two copies and a call cost more there.
 * Where WebAssembly or SIMD is missing, {@link createWasmUnmasker} returns undefined and the
 * engine's JS unmasker is used.
 */
import { applyPackedMask } from '../../../src/rfc6455/mask.js';
import type { Unmasker } from '../../../src/rfc6455/mask.js';
import { UNMASK_WASM } from './unmask-wasm.js';

// A global of every engine Node runs on, but in neither the ES2022 lib nor @types/node 20: the
// little this file uses, declared here (module scope) as codec.ts declares TextEncoder.
declare const WebAssembly: {
  Module: new (bytes: Uint8Array<ArrayBuffer>) => object;
  Instance: new (module: object) => { readonly exports: unknown };
};

/** Bytes moved through the module per call; a multiple of 4 keeps the key's phase per block. */
export const BLOCK_BYTES = 16 * 1024;
/** Below this length the JS loop is faster than copying in and out (measured, docs/performance.md). */
export const WASM_MIN_BYTES = 128;

interface UnmaskExports {
  readonly memory: { readonly buffer: ArrayBuffer };
  unmask(start: number, length: number, key: number): void;
}

/**
 * The key as the module wants it: little-endian, its low byte masking payload position `offset`.
 * `packedKey` holds key[0] in its top byte (RFC 6455 §5.3: byte i is masked by key[i MOD 4]).
 */
export function wasmKey(packedKey: number, offset: number): number {
  const shift = (offset & 3) * 8;
  // Rotate left so key[offset MOD 4] is the top byte, then swap to little-endian.
  const rotated = shift === 0 ? packedKey : (packedKey << shift) | (packedKey >>> (32 - shift));
  return ((rotated >>> 24) & 0xff) | ((rotated >>> 8) & 0xff00) | ((rotated << 8) & 0xff0000) | (rotated << 24);
}

/** Builds the WebAssembly unmasker, or returns undefined where WebAssembly SIMD is unavailable. */
export function createWasmUnmasker(bytes: Uint8Array<ArrayBuffer> = UNMASK_WASM): Unmasker | undefined {
  let exports: UnmaskExports;
  try {
    // Synchronous compile: the module is 250 bytes, and engine options are built synchronously.
    const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes));
    exports = instance.exports as unknown as UnmaskExports;
  } catch {
    return undefined;
  }
  const unmaskBlock = exports.unmask;
  // The memory never grows (one page, blocks of 16 KiB), so this view stays valid.
  const memory = new Uint8Array(exports.memory.buffer, 0, BLOCK_BYTES);

  /** `source` XOR key into `target` at `targetOffset`, block by block through the module. */
  function through(source: Uint8Array, target: Uint8Array, targetOffset: number, packedKey: number, offset: number): void {
    const key = wasmKey(packedKey, offset);
    const length = source.length;
    for (let done = 0; done < length; done += BLOCK_BYTES) {
      const n = Math.min(BLOCK_BYTES, length - done);
      memory.set(n === length ? source : source.subarray(done, done + n));
      unmaskBlock(0, n, key);
      target.set(n === BLOCK_BYTES ? memory : memory.subarray(0, n), targetOffset + done);
    }
  }

  return Object.freeze({
    unmask(data: Uint8Array, packedKey: number, offset: number): void {
      if (data.length < WASM_MIN_BYTES) applyPackedMask(data, packedKey, offset);
      else through(data, data, 0, packedKey, offset);
    },
    unmaskInto(source: Uint8Array, target: Uint8Array, targetOffset: number, packedKey: number, offset: number): void {
      if (source.length < WASM_MIN_BYTES) {
        target.set(source, targetOffset);
        applyPackedMask(target.subarray(targetOffset, targetOffset + source.length), packedKey, offset);
      } else {
        through(source, target, targetOffset, packedKey, offset);
      }
    },
  });
}

/**
 * The options the server hands to each connection's RFC 6455 engine. Connections of one server
 * share one frozen object (the engine keeps it by reference) instead of each holding a copy:
 * an idle connection's memory is what an idle server pays per client (docs/performance.md).
 */
import { Buffer, isUtf8 } from 'node:buffer';
import type { ConnectionOptions } from '../../src/rfc6455/connection.js';
import type { FrameParserOptions } from '../../src/rfc6455/frame-parser.js';
import { jsUnmasker } from '../../src/rfc6455/mask.js';
import type { Unmasker } from '../../src/rfc6455/mask.js';
import { createWasmUnmasker } from './wasm/wasm-unmasker.js';

/** The engine's allocator: spanning payloads are fully overwritten, so zero-filling would be wasted work. */
function allocateUnsafe(byteLength: number): Uint8Array {
  return Buffer.allocUnsafe(byteLength);
}

/**
 * Engine options plus the parser's `unmasker`. The engine hands its options object to its frame
 * parser as is, so the parser finds the unmasker here; `ConnectionOptions` does not name it yet
 * (src/rfc6455/connection.ts is being reshaped elsewhere; add it there when that lands).
 */
export type ServerEngineOptions = ConnectionOptions & Pick<FrameParserOptions, 'unmasker'>;

let unmasker: Unmasker | undefined;

/** The WebAssembly SIMD unmasker, built once per process (the JS one where WebAssembly SIMD is missing). */
export function serverUnmasker(): Unmasker {
  return (unmasker ??= createWasmUnmasker() ?? jsUnmasker);
}

/** One entry per distinct configuration seen, so the cache stays as small as the set of servers. */
const cache = new Map<string, ServerEngineOptions>();
let lastUsed: ServerEngineOptions | undefined;

/**
 * Server-role engine options for these limits: node:buffer's native `isUtf8` for whole messages,
 * an unzeroed allocator and WebAssembly SIMD unmasking. The same frozen object is returned for
 * the same arguments.
 */
export function engineOptionsFor(maxPayload: number, maxFragments: number, rsv1Allowed: boolean): ServerEngineOptions {
  // Most processes run one configuration: answer it without building the key (once per handshake).
  const recent = lastUsed;
  if (recent !== undefined && recent.maxPayload === maxPayload && recent.maxFragments === maxFragments && recent.rsv1Allowed === rsv1Allowed) return recent;
  const key = `${maxPayload}/${maxFragments}/${rsv1Allowed}`;
  let options = cache.get(key);
  if (options === undefined) {
    options = Object.freeze({ role: 'server', maxPayload, maxFragments, rsv1Allowed, isUtf8, allocate: allocateUnsafe, unmasker: serverUnmasker() });
    cache.set(key, options);
  }
  lastUsed = options;
  return options;
}

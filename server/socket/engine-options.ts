/**
 * The options the server hands to each connection's RFC 6455 engine. Connections of one server
 * share one frozen object (the engine keeps it by reference) instead of each holding a copy:
 * an idle connection's memory is what an idle server pays per client (docs/performance.md).
 */
import { Buffer, isUtf8 } from 'node:buffer';
import type { ConnectionOptions } from '../../src/rfc6455/connection.js';

/** The engine's allocator: spanning payloads are fully overwritten, so zero-filling would be wasted work. */
function allocateUnsafe(byteLength: number): Uint8Array {
  return Buffer.allocUnsafe(byteLength);
}

/** One entry per distinct configuration seen, so the cache stays as small as the set of servers. */
const cache = new Map<string, ConnectionOptions>();

/**
 * Server-role engine options for these limits: node:buffer's native `isUtf8` for whole messages
 * and an unzeroed allocator. The same frozen object is returned for the same arguments.
 */
export function engineOptionsFor(maxPayload: number, maxFragments: number, rsv1Allowed: boolean): ConnectionOptions {
  const key = `${maxPayload}/${maxFragments}/${rsv1Allowed}`;
  let options = cache.get(key);
  if (options === undefined) {
    options = Object.freeze({ role: 'server', maxPayload, maxFragments, rsv1Allowed, isUtf8, allocate: allocateUnsafe });
    cache.set(key, options);
  }
  return options;
}

/**
 * SHA-1 on node:crypto for the opening handshake's accept key, which the pure rules in
 * src/rfc6455/upgrade.ts take as an injected function (ECMAScript has no SHA-1).
 */
import { hash } from 'node:crypto';

/**
 * base64(SHA-1(text)): the `Sha1Base64` the upgrade rules need, for the server and the Node client.
 * One-shot `crypto.hash` (Node ≥ 20.12) creates no `Hash` object: about 0.5 µs per key instead of
 * 1.0-1.5 µs for `createHash().update().digest()` (docs/performance.md).
 */
export function sha1Base64(text: string): string {
  return hash('sha1', text, 'base64');
}

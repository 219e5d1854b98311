/**
 * SHA-1 on node:crypto for the opening handshake's accept key, which the pure rules in
 * src/rfc6455/upgrade.ts take as an injected function (ECMAScript has no SHA-1).
 */
import { createHash } from 'node:crypto';

/** base64(SHA-1(text)): the `Sha1Base64` the upgrade rules need, for the server and the Node client. */
export function sha1Base64(text: string): string {
  return createHash('sha1').update(text).digest('base64');
}

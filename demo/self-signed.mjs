// A throwaway self-signed certificate for the HTTPS/HTTP/2 demo and the tests that need TLS.
// node:crypto can make keys but not X.509 certificates, so the system's `openssl` signs it.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A P-256 key and a certificate for localhost and 127.0.0.1, valid for `days` days.
 * Throws an Error whose message says so when `openssl` is not installed.
 */
export function selfSignedCertificate({ days = 2 } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'tandem-cert-'));
  try {
    const key = join(dir, 'key.pem');
    const cert = join(dir, 'cert.pem');
    try {
      execFileSync(
        'openssl',
        ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key, '-out', cert,
          '-days', String(days), '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1'],
        { stdio: ['ignore', 'ignore', 'pipe'] },
      );
    } catch (err) {
      const missing = /** @type {{ code?: string }} */ (err).code === 'ENOENT';
      throw new Error(missing ? 'openssl is not installed: it is needed to make the self-signed certificate' : `openssl failed: ${err}`);
    }
    return { key: readFileSync(key, 'utf8'), cert: readFileSync(cert, 'utf8') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

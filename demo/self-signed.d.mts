/** Types of ./self-signed.mjs (the demo is plain JavaScript; tests import it from TypeScript). */
/** A P-256 key and a self-signed certificate (PEM) for localhost and 127.0.0.1; needs `openssl`. */
export declare function selfSignedCertificate(options?: { days?: number }): { key: string; cert: string };

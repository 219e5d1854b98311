/**
 * A ready-made `/metrics` endpoint for Prometheus:
 *
 * ```ts
 * import { createServer as createHttpServer } from 'node:http';
 * http.createServer(metricsHandler(server)).listen(9464);        // its own port
 * // or inside an existing server: if (req.url === '/metrics') return metricsHandler(server)(req, res);
 * ```
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

/** The content type of the Prometheus text exposition format 0.0.4. */
export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/** Anything with `metrics()` returning the exposition (a `TandemServer`). */
export interface MetricsSource {
  metrics(): string;
}

/**
 * An HTTP request handler answering GET/HEAD with `source.metrics()` (200, Prometheus text
 * format) and anything else with 405.
 */
export function metricsHandler(source: MetricsSource): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { Allow: 'GET, HEAD', 'Content-Type': 'text/plain; charset=utf-8' }).end('Method Not Allowed');
      return;
    }
    const body = source.metrics();
    res.writeHead(200, { 'Content-Type': PROMETHEUS_CONTENT_TYPE, 'Content-Length': Buffer.byteLength(body), 'Cache-Control': 'no-store' });
    res.end(req.method === 'HEAD' ? undefined : body);
  };
}

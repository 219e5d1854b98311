import { request } from 'node:http';
import { createServer as createHttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import type { ParsedFamily } from 'parse-prometheus-text-format';
import { afterEach, describe, expect, it } from 'vitest';
import { metricsHandler } from '../../../server/typed/metrics-handler.js';
import { ServerMetrics } from '../../../server/typed/metrics.js';
import { closeTyped, EnvelopeClient, startTyped } from '../../helpers/hostile-typed.js';
import { rawExchange, upgradeRequest } from '../../helpers/raw-client.js';
import { closeAll, connectClient, startServer } from './harness.js';

// server.metrics() read by a real Prometheus text parser: every family named and typed, and the
// counts exact for a scripted conversation.
afterEach(async () => {
  await closeAll();
  await closeTyped();
});

type Metrics = Map<string, ParsedFamily>;
const parse = (text: string): Metrics => new Map(parsePrometheusTextFormat(text).map((f) => [f.name, f]));

/** The value of the series of `name` whose labels include `labels` (undefined when absent). */
function value(metrics: Metrics, name: string, labels: Record<string, string> = {}): number | undefined {
  const series = metrics.get(name)?.metrics.find((m) => Object.entries(labels).every(([k, v]) => m.labels?.[k] === v));
  return series?.value === undefined ? undefined : Number(series.value);
}

describe('server.metrics() (Prometheus text exposition)', () => {
  it('counts a scripted conversation exactly', async () => {
    const { server, port } = await startTyped({ closeTimeout: 1000 });
    const a = await EnvelopeClient.connect(port);
    const note = { v: 1, type: 'event', name: 'note', payload: { text: 'hi' } };
    a.send(note);
    a.send(note);
    await a.echo(1, 'ping?');
    server.emit('tick', { n: 1, pad: '' });
    expect(await a.next()).toEqual({ envelope: { v: 1, type: 'event', name: 'tick', payload: { n: 1, pad: '' } } });
    const b = await EnvelopeClient.connect(port);
    b.send('not json');
    expect((await b.untilClose()).at(-1)).toMatchObject({ close: 1007 });
    expect(await rawExchange(port, upgradeRequest('/', { 'Sec-WebSocket-Version': '8' }))).toMatch(/^HTTP\/1\.1 426 /);
    await expect.poll(() => value(parse(server.metrics()), 'tandem_closes_total', { code: '1007' })).toBe(1);

    const m = parse(server.metrics());
    expect(value(m, 'tandem_handshakes_total', { status: '101' })).toBe(2);
    expect(value(m, 'tandem_handshakes_total', { status: '426' })).toBe(1);
    expect(value(m, 'tandem_messages_received_total', { kind: 'hello' })).toBe(2);
    expect(value(m, 'tandem_messages_received_total', { kind: 'event' })).toBe(2);
    expect(value(m, 'tandem_messages_received_total', { kind: 'request' })).toBe(1);
    expect(value(m, 'tandem_messages_received_total', { kind: 'invalid' })).toBe(1);
    expect(value(m, 'tandem_received_bytes_total', { kind: 'event' })).toBe(2 * JSON.stringify(note).length);
    expect(value(m, 'tandem_messages_sent_total', { kind: 'welcome' })).toBe(2);
    expect(value(m, 'tandem_messages_sent_total', { kind: 'response' })).toBe(1);
    expect(value(m, 'tandem_messages_sent_total', { kind: 'event' })).toBe(1);
    expect(value(m, 'tandem_sent_bytes_total', { kind: 'response' })).toBe('{"v":1,"type":"response","id":1,"payload":"ping?"}'.length);
    expect(value(m, 'tandem_broadcasts_total')).toBe(1);
    expect(value(m, 'tandem_broadcast_deliveries_total')).toBe(1);
    expect(value(m, 'tandem_peers', { state: 'open' })).toBe(1);
    expect(value(m, 'tandem_peers', { state: 'handshake' })).toBe(0);
    expect(value(m, 'tandem_connections')).toBe(1);
    expect(value(m, 'tandem_volatile_dropped_total')).toBe(0);
    // (This parser flattens labelled histograms, so their series are checked on the text.)
    expect(m.get('tandem_request_duration_seconds')?.type).toBe('HISTOGRAM');
    const text = server.metrics();
    expect(text).toContain('tandem_request_duration_seconds_bucket{method="echo",le="10"} 1\n');
    expect(text).toContain('tandem_request_duration_seconds_bucket{method="echo",le="+Inf"} 1\n');
    expect(text).toContain('tandem_request_duration_seconds_count{method="echo"} 1\n');
    // Names in Prometheus style: tandem_ prefix, counters end in _total, base units only.
    for (const family of m.values()) {
      expect(family.name).toMatch(/^tandem_[a-z_]+$/);
      expect(family.help.length).toBeGreaterThan(10);
      if (family.type === 'COUNTER') expect(family.name).toMatch(/_total$/);
      expect(family.name).not.toMatch(/_(ms|milliseconds|kb|kib)(_|$)/);
    }
  });

  it('counts heartbeat timeouts and their close', async () => {
    const { server, port } = await startTyped({ heartbeat: { interval: 50, timeout: 50 } });
    const silent = await EnvelopeClient.connect(port); // a raw socket: never answers pings
    await silent.raw.closed;
    await expect.poll(() => value(parse(server.metrics()), 'tandem_heartbeat_timeouts_total')).toBe(1);
    await expect.poll(() => value(parse(server.metrics()), 'tandem_closes_total', { code: '1006' })).toBe(1);
  });

  it('reports the permessage-deflate ratio', async () => {
    type Api = { server: { events: { big: string } } };
    const { server, url } = await startServer<Api>({ perMessageDeflate: true });
    const client = await connectClient<Api>(url);
    const got = new Promise<string>((resolve) => client.on('big', resolve));
    // peer.emit, not a broadcast: a broadcast's frame is built once, uncompressed, for everyone.
    for (const peer of server.peers.values()) peer.emit('big', 'tandem '.repeat(2000));
    expect((await got).length).toBe(14_000);
    const m = parse(server.metrics());
    expect(value(m, 'tandem_deflate_input_bytes_total')).toBeGreaterThanOrEqual(14_000);
    expect(value(m, 'tandem_deflate_output_bytes_total')).toBeLessThan(500);
    expect(value(m, 'tandem_deflate_ratio')).toBeLessThan(0.05);
  });

  it('gives the resume and Redis work named hooks whose families appear on first use', () => {
    const metrics = new ServerMetrics();
    const snapshot = { connections: 0, peers: [], rooms: 0, pendingHandlers: 0, dropped: 0, deflate: undefined };
    expect(metrics.render(snapshot)).not.toContain('tandem_sessions_');
    metrics.sessionSuspended();
    metrics.sessionSuspended();
    metrics.sessionResumed();
    metrics.sessionExpired('overflow');
    metrics.pubsubLag(0.003);
    const m = parse(metrics.render(snapshot));
    expect(value(m, 'tandem_sessions_suspended_total')).toBe(2);
    expect(value(m, 'tandem_sessions_resumed_total')).toBe(1);
    expect(value(m, 'tandem_sessions_expired_total', { reason: 'overflow' })).toBe(1);
    expect(m.get('tandem_pubsub_lag_seconds')?.metrics[0]).toMatchObject({ count: '1', sum: '0.003' });
    // Slow-consumer closes are a plain counter on the same registry.
    metrics.slowConsumerCloses.inc();
    expect(value(parse(metrics.render(snapshot)), 'tandem_slow_consumer_closes_total')).toBe(1);
  });

  it('escapes label values as the format requires', () => {
    const metrics = new ServerMetrics();
    metrics.sessionExpired('we"ird\\name\n');
    const text = metrics.render({ connections: 0, peers: [], rooms: 0, pendingHandlers: 0, dropped: 0, deflate: undefined });
    expect(text).toContain('tandem_sessions_expired_total{reason="we\\"ird\\\\name\\n"} 1\n');
    expect(parse(text).get('tandem_sessions_expired_total')!.metrics[0]!.labels!.reason).toBe('we"ird\\name\n');
  });

  it('counts per kind through cached series: the same totals as a fresh label set per call', () => {
    const metrics = new ServerMetrics();
    for (let i = 0; i < 3; i++) metrics.sent('event', 10, 2);
    metrics.sent('response', 7);
    metrics.received(5);
    metrics.decoded('request');
    metrics.received(4);
    metrics.decoded('request');
    // a series kept by a hot path is the one inc() with equal labels adds to
    metrics.messagesSent.series({ kind: 'event' }).inc(4);
    metrics.messagesSent.inc({ kind: 'event' });
    const text = metrics.render({ connections: 0, peers: [], rooms: 0, pendingHandlers: 0, dropped: 0, deflate: undefined });
    expect(text).toContain('tandem_messages_sent_total{kind="event"} 11\n');
    expect(text).toContain('tandem_messages_sent_total{kind="response"} 1\n');
    expect(text).toContain('tandem_sent_bytes_total{kind="event"} 60\n');
    expect(text).toContain('tandem_sent_bytes_total{kind="response"} 7\n');
    expect(text).toContain('tandem_messages_received_total{kind="request"} 2\n');
    expect(text).toContain('tandem_received_bytes_total{kind="request"} 9\n');
    expect(metrics.messagesSent.get({ kind: 'event' })).toBe(11);
  });
});

describe('metricsHandler', () => {
  it('serves GET /metrics as Prometheus text, refuses POST with 405', async () => {
    const { server } = await startTyped();
    const http = createHttpServer(metricsHandler(server));
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    const { port } = http.address() as AddressInfo;
    const fetchOnce = (method: string) =>
      new Promise<{ status: number; type: string | undefined; body: string }>((resolve, reject) => {
        const req = request({ host: '127.0.0.1', port, path: '/metrics', method }, (res) => {
          let body = '';
          res.setEncoding('utf8').on('data', (c: string) => (body += c)).on('end', () => resolve({ status: res.statusCode ?? 0, type: res.headers['content-type'], body }));
        });
        req.on('error', reject).end();
      });
    const ok = await fetchOnce('GET');
    const refused = await fetchOnce('POST');
    await new Promise((resolve) => http.close(resolve));
    expect([ok.status, ok.type]).toEqual([200, 'text/plain; version=0.0.4; charset=utf-8']);
    expect(parse(ok.body).get('tandem_connections')?.type).toBe('GAUGE');
    expect([refused.status, refused.body]).toEqual([405, 'Method Not Allowed']);
  });
});

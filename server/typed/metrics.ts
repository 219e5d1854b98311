/**
 * What `server.metrics()` exposes, in Prometheus text format (names `tandem_…`, counters ending
 * in `_total`, base units: seconds and bytes). Counters are bumped on the hot path as plain
 * additions; gauges (connections, peers by state, deflate) are read at scrape time.
 *
 * Hooks for work still to land, so their metrics get stable names now:
 * - session resume: call {@link ServerMetrics.sessionSuspended} / `sessionResumed` /
 *   `sessionExpired` (→ `tandem_sessions_suspended_total`, `…_resumed_total`, `…_expired_total`);
 * - a broker adapter (Redis): call {@link ServerMetrics.pubsubLag} with the publish-to-delivery
 *   lag in seconds (→ `tandem_pubsub_lag_seconds` histogram);
 * - anything else: `metrics.registry.add(new Counter(…))`.
 * Each of these families appears in the output from its first use.
 */
import type { Codec } from '../../src/codec.js';
import type { DeflateTotals } from '../socket/deflate-negotiator.js';
import { Collected, Counter, Histogram, Registry } from './prometheus.js';
import type { CounterSeries } from './prometheus.js';

/** Upper bounds (seconds) of the request-duration histogram: 1 ms to 10 s. */
export const DURATION_BUCKETS = Object.freeze([0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]);

/** What the server reads for its gauges at scrape time. */
export interface MetricsSnapshot {
  /** Open WebSocket connections of the socket layer. */
  readonly connections: number;
  /** Every peer's lifecycle state. */
  readonly peers: Iterable<{ readonly state: string }>;
  /** Rooms with at least one member. */
  readonly rooms: number;
  /** Client requests whose handler has not settled. */
  readonly pendingHandlers: number;
  /** Volatile messages dropped for slow consumers (kept by the stats counters). */
  readonly dropped: number;
  readonly deflate: DeflateTotals | undefined;
}

/** The metrics of one typed server. */
export class ServerMetrics {
  /** Every family; add your own (or the resume / Redis ones) here. */
  readonly registry = new Registry();
  readonly handshakes = this.registry.add(new Counter('tandem_handshakes_total', 'WebSocket upgrade requests answered, by HTTP status (101: accepted; others: refused).'));
  readonly messagesReceived = this.registry.add(new Counter('tandem_messages_received_total', 'Typed messages received, by envelope kind (event, request, response, error, hello, ping, pong; invalid: not an envelope).'));
  readonly bytesReceived = this.registry.add(new Counter('tandem_received_bytes_total', 'Bytes of the messages received (as encoded, before framing), by envelope kind.'));
  readonly messagesSent = this.registry.add(new Counter('tandem_messages_sent_total', 'Typed messages written to peers, by envelope kind (a broadcast counts once per recipient).'));
  readonly bytesSent = this.registry.add(new Counter('tandem_sent_bytes_total', 'Bytes of the messages written to peers (as encoded, before framing), by envelope kind.'));
  readonly broadcasts = this.registry.add(new Counter('tandem_broadcasts_total', 'Broadcasts (server.emit, server.to(…).emit, peer.to(…).emit).'));
  readonly deliveries = this.registry.add(new Counter('tandem_broadcast_deliveries_total', 'Peers a broadcast was written to, summed over broadcasts.'));
  readonly slowConsumerCloses = this.registry.add(new Counter('tandem_slow_consumer_closes_total', 'Peers closed (1013) for buffering more than the backpressure limit.'));
  readonly closes = this.registry.add(new Counter('tandem_closes_total', 'Peer connections ended, by close code (1000 normal, 1001 going away, 1006 abnormal, 4000 heartbeat timeout…).'));
  readonly heartbeatTimeouts = this.registry.add(new Counter('tandem_heartbeat_timeouts_total', 'Peers terminated because they did not answer a ping in time.'));
  readonly requestDuration = this.registry.add(new Histogram('tandem_request_duration_seconds', 'Time from a client request to its handler settling, by method.', DURATION_BUCKETS));
  #snapshot: MetricsSnapshot | undefined;
  /** Bytes of the message being decoded: attributed to its kind once the codec knows it. */
  #pendingBytes = 0;
  // Messages and bytes series per envelope kind: counted per message, so a Map lookup and two
  // adds, not two label keys built per call (docs/performance.md). As many kinds as the counters.
  readonly #sentByKind = new Map<string, [messages: CounterSeries, bytes: CounterSeries]>();
  readonly #receivedByKind = new Map<string, [messages: CounterSeries, bytes: CounterSeries]>();

  constructor() {
    const read = (f: (s: MetricsSnapshot) => number) => (): [undefined, number][] => (this.#snapshot ? [[undefined, f(this.#snapshot)]] : []);
    this.registry.add(new Collected('tandem_connections', 'Open WebSocket connections (the socket layer).', 'gauge', read((s) => s.connections)));
    this.registry.add(new Collected('tandem_peers', 'Peers by state (handshake, admitting, open, closing).', 'gauge', () => this.#peersByState()));
    this.registry.add(new Collected('tandem_rooms', 'Rooms with at least one member.', 'gauge', read((s) => s.rooms)));
    this.registry.add(new Collected('tandem_pending_requests', 'Client requests whose handler has not settled yet.', 'gauge', read((s) => s.pendingHandlers)));
    this.registry.add(new Collected('tandem_volatile_dropped_total', 'Volatile messages dropped because the peer was behind (backpressure).', 'counter', read((s) => s.dropped)));
    const deflate = (f: (d: DeflateTotals) => number) => (): [undefined, number][] => (this.#snapshot?.deflate ? [[undefined, f(this.#snapshot.deflate)]] : []);
    this.registry.add(new Collected('tandem_deflate_input_bytes_total', 'Bytes given to permessage-deflate to compress.', 'counter', deflate((d) => d.deflatedIn)));
    this.registry.add(new Collected('tandem_deflate_output_bytes_total', 'Compressed bytes permessage-deflate produced.', 'counter', deflate((d) => d.deflatedOut)));
    this.registry.add(new Collected('tandem_inflate_input_bytes_total', 'Compressed bytes received.', 'counter', deflate((d) => d.inflatedIn)));
    this.registry.add(new Collected('tandem_inflate_output_bytes_total', 'Bytes the received compressed messages inflated to.', 'counter', deflate((d) => d.inflatedOut)));
    this.registry.add(new Collected('tandem_deflate_ratio', 'Compressed size over original size of sent messages (lower is better; 1 without compression).', 'gauge', deflate((d) => (d.deflatedIn === 0 ? 1 : d.deflatedOut / d.deflatedIn))));
  }

  /** A client request's handler settled after `seconds` (bound: pass it as a callback). */
  readonly observeRequest = (method: string, seconds: number): void => this.requestDuration.observe(seconds, { method });

  /** A message of `bytes` arrived (its kind follows from the codec). */
  received(bytes: number): void {
    this.#pendingBytes = bytes;
  }

  /** The codec decoded the message just received: it was of envelope type `kind`. */
  decoded(kind: string): void {
    let pair = this.#receivedByKind.get(kind);
    if (pair === undefined) this.#receivedByKind.set(kind, (pair = [this.messagesReceived.series({ kind }), this.bytesReceived.series({ kind })]));
    pair[0].value += 1;
    pair[1].value += this.#pendingBytes;
    this.#pendingBytes = 0;
  }

  /** `count` copies of a `kind` message of `bytes` were written. */
  sent(kind: string, bytes: number, count = 1): void {
    let pair = this.#sentByKind.get(kind);
    if (pair === undefined) this.#sentByKind.set(kind, (pair = [this.messagesSent.series({ kind }), this.bytesSent.series({ kind })]));
    pair[0].value += count;
    pair[1].value += bytes * count;
  }

  /** The text exposition, gauges read from `snapshot`. */
  render(snapshot: MetricsSnapshot): string {
    this.#snapshot = snapshot;
    try {
      return this.registry.render();
    } finally {
      this.#snapshot = undefined;
    }
  }

  // ——— hooks for session resume and broker adapters (see the file comment) ———

  /** A session's transport dropped; it waits for a resume. */
  sessionSuspended(): void {
    this.#lazyCounter('tandem_sessions_suspended_total', 'Sessions whose transport dropped (suspended, waiting for a resume).').inc();
  }

  /** A suspended session was resumed (`resumed: true`). */
  sessionResumed(): void {
    this.#lazyCounter('tandem_sessions_resumed_total', 'Suspended sessions resumed within the window.').inc();
  }

  /** A suspended session ended without a resume (window passed, buffer overflow). */
  sessionExpired(reason = 'window'): void {
    this.#lazyCounter('tandem_sessions_expired_total', 'Suspended sessions that ended without a resume, by reason.').inc({ reason });
  }

  /** One pub/sub message's lag from publish to local delivery, in seconds. */
  pubsubLag(seconds: number): void {
    const name = 'tandem_pubsub_lag_seconds';
    const family = (this.registry.get(name) as Histogram | undefined) ?? this.registry.add(new Histogram(name, 'Lag from publish to local delivery of broker (pub/sub) messages.', DURATION_BUCKETS));
    family.observe(seconds);
  }

  #lazyCounter(name: string, help: string): Counter {
    return (this.registry.get(name) as Counter | undefined) ?? this.registry.add(new Counter(name, help));
  }

  #peersByState(): [{ state: string }, number][] {
    if (this.#snapshot === undefined) return [];
    const counts = new Map<string, number>([['handshake', 0], ['admitting', 0], ['open', 0], ['closing', 0]]);
    for (const peer of this.#snapshot.peers) counts.set(peer.state, (counts.get(peer.state) ?? 0) + 1);
    return [...counts].map(([state, n]) => [{ state }, n]);
  }
}

/** `codec` counting every decoded envelope by kind on `metrics` (undecodable ones as `invalid`). */
export function meteredCodec(codec: Codec, metrics: ServerMetrics): Codec {
  return {
    name: codec.name,
    encode: (envelope) => codec.encode(envelope),
    decode(data) {
      try {
        const envelope = codec.decode(data);
        metrics.decoded(envelope.type);
        return envelope;
      } catch (err) {
        metrics.decoded('invalid');
        throw err;
      }
    },
  };
}

/** `tandem/server`: the Node server. */
export * from '../src/index.js';
export { WebSocketServer, DEFAULTS as WEBSOCKET_SERVER_DEFAULTS } from './socket/websocket-server.js';
export type { WebSocketServerEvents, WebSocketServerOptions } from './socket/websocket-server.js';
export { ServerConnection, ReadyStates, DEFAULTS as SERVER_CONNECTION_DEFAULTS } from './socket/server-connection.js';
export type {
  MessageCodec,
  ReadyState,
  SendCallback,
  SendData,
  ServerConnectionEvents,
  ServerConnectionOptions,
  ServerSendOptions,
} from './socket/server-connection.js';
export { acceptKey, negotiate, originAllowList, refusal, validateUpgrade, WEBSOCKET_GUID } from './socket/handshake.js';
export type {
  ExtensionAgreement,
  HandleProtocols,
  HandshakeAccepted,
  HandshakeOptions,
  HandshakeRefusal,
  NegotiateExtensions,
  VerifyClient,
  VerifyClientCallback,
  VerifyClientInfo,
  VerifyClientResult,
} from './socket/handshake.js';
// The typed layer: createServer, peers, rooms, adapter.
export { createServer, TandemServer } from './typed/server.js';
export type { ServerState } from './typed/server.js';
export { Peer } from './typed/peer.js';
export type { EmitArgs, EmitOptions, PeerHandshake, PeerLifecycleEvents, PeerState } from './typed/peer.js';
export { BroadcastOperator } from './typed/rooms.js';
export type { BroadcastOptions, MembershipOps, PeerLike } from './typed/rooms.js';
export { MemoryAdapter, memoryAdapter } from './typed/adapter.js';
export type { Adapter, AdapterFactory, AdapterHost, AdapterStats, BroadcastMessage, BroadcastTarget, PeerId } from './typed/adapter.js';
export { SERVER_DEFAULTS } from './typed/server-options.js';
export type { CloseOptions, ServerHeartbeatOptions, ServerOptions } from './typed/server-options.js';
export { AuthenticationError, isAuthenticationError } from './typed/auth.js';
export type { AuthRequest } from './typed/auth.js';
export { BACKPRESSURE_DEFAULTS } from './typed/backpressure.js';
export type { BackpressureOptions, SlowConsumerPolicy } from './typed/backpressure.js';
export { LIVENESS_DEFAULTS } from './typed/liveness.js';
export type { ServerStats } from './typed/server-stats.js';
export { metricsHandler } from './typed/metrics-handler.js';
export { ServerMetrics, DURATION_BUCKETS } from './typed/metrics.js';
export type { MetricsSnapshot } from './typed/metrics.js';
export { Collected, Counter, CounterSeries, Histogram, Registry } from './typed/prometheus.js';
export type { Family, Labels } from './typed/prometheus.js';
// Session resume (docs/typed-server.md "Session resume"): options, stats, the session store seam.
export { RESUME_DEFAULTS } from './typed/session/resume-options.js';
export type { ResumeOptions } from './typed/session/resume-options.js';
export type { SessionStats } from './typed/session/resume-stats.js';
export { MemorySessionStore, memorySessionStore } from './typed/session/memory-session-store.js';
export type {
  AdoptedSession,
  Adoption,
  CaughtUpBroadcast,
  SessionChange,
  SessionEndReason,
  SessionLookup,
  SessionPositions,
  SessionRecord,
  SessionStore,
  SessionStoreContext,
  SessionStoreFactory,
} from './typed/session/session-store.js';
export { ConcurrencyLimiter, PerMessageDeflate } from './socket/permessage-deflate.js';
export type { PerMessageDeflateOptions } from './socket/permessage-deflate.js';
// Named by PerMessageDeflate's declarations (a chunk shared with the Node client's).
export type { PerMessageDeflateParams } from '../src/rfc6455/permessage-deflate-params.js';

/** `tandem/server`: the Node server. */
export * from '../src/index.js';
export { WebSocketServer, DEFAULTS as WEBSOCKET_SERVER_DEFAULTS } from './websocket-server.js';
export type { WebSocketServerEvents, WebSocketServerOptions } from './websocket-server.js';
export { ServerConnection, ReadyStates, DEFAULTS as SERVER_CONNECTION_DEFAULTS } from './server-connection.js';
export type {
  MessageCodec,
  ReadyState,
  SendCallback,
  SendData,
  ServerConnectionEvents,
  ServerConnectionOptions,
  ServerSendOptions,
} from './server-connection.js';
export { acceptKey, negotiate, originAllowList, refusal, validateUpgrade, WEBSOCKET_GUID } from './handshake.js';
export type {
  ExtensionAgreement,
  HandleProtocols,
  HandshakeAccepted,
  HandshakeOptions,
  HandshakeRefusal,
  NegotiateExtensions,
  VerifyClient,
  VerifyClientInfo,
  VerifyClientResult,
} from './handshake.js';
// The typed layer: createServer, peers, rooms, adapter.
export { createServer, TandemServer } from './server.js';
export type { ServerState } from './server.js';
export { Peer } from './peer.js';
export type { EmitArgs, EmitOptions, PeerHandshake, PeerState } from './peer.js';
export { BroadcastOperator } from './rooms.js';
export type { BroadcastOptions, PeerLike } from './rooms.js';
export { MemoryAdapter, memoryAdapter } from './adapter.js';
export type { Adapter, AdapterFactory, AdapterHost, BroadcastMessage, BroadcastTarget, PeerId } from './adapter.js';
export { AuthenticationError, isAuthenticationError, SERVER_DEFAULTS } from './server-options.js';
export type { AuthRequest, CloseOptions, ServerHeartbeatOptions, ServerOptions } from './server-options.js';
export { BACKPRESSURE_DEFAULTS } from './backpressure.js';
export type { BackpressureOptions, SlowConsumerPolicy } from './backpressure.js';
export { LIVENESS_DEFAULTS } from './liveness.js';
export type { ServerStats } from './server-stats.js';
export { ConcurrencyLimiter, PerMessageDeflate } from './permessage-deflate.js';
export type { PerMessageDeflateOptions } from './permessage-deflate.js';

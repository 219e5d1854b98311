/**
 * `tandem/proxy`: a fault-injection TCP proxy for testing how a WebSocket app survives a bad
 * network (cuts, latency, throttling, half-open links). Node only. See docs/proxy.md.
 */
export { createProxy, FaultProxy } from './proxy.js';
export type { ProxyConnection, ProxyCut, ProxyEvents, ProxyStats } from './proxy.js';
export { PROXY_DEFAULTS, resolveProxyOptions } from './options.js';
export type { BlackholeDirection, Direction, DirectionFaults, ProxyOptions, ResolvedFaults, ResolvedProxyOptions } from './options.js';
export type { CutReason } from './link.js';
export { ProxyOptionError } from './units.js';
export type { Address, TimeRange } from './units.js';
export { createRandom, cutSchedule, deriveSeed, drawTime } from './random.js';
export type { Random } from './random.js';

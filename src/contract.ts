/**
 * The typed contract: ONE TypeScript type describes what each end may send, and both
 * `createClient<C>()` and `createServer<C>()` read their own view of it.
 *
 * ```ts
 * type Chat = {
 *   client: { events: { typing: { room: string } }; requests: { join: { request: { room: string }; response: { members: string[] } } } };
 *   server: { events: { message: { from: string; text: string } }; requests: { ping: { request: void; response: 'pong' } } };
 * };
 * ```
 * `client.events` are events the client emits (the server receives them); `client.requests` are
 * requests the client makes (the server handles them); `server.*` is the same the other way round.
 * Every part is optional.
 */
import type { Side } from './envelope.js';

export type { Side } from './envelope.js';

/** The shape of one request: the payload sent and the payload answered. */
export interface RequestShape {
  request?: unknown;
  response?: unknown;
}

/** What one end sends: its events (name → payload) and its requests (name → {@link RequestShape}). */
export interface SideShape {
  events?: object;
  requests?: object;
}

/** Any contract. Interfaces and type aliases both fit (no index signature is required). */
export interface ContractShape {
  client?: SideShape;
  server?: SideShape;
}

/** The other end. */
export type Opposite<S extends Side> = S extends 'client' ? 'server' : 'client';

type SideOf<C, S extends Side> = S extends keyof C ? NonNullable<C[S]> : {};

/** Events that side `S` of contract `C` sends: name → payload type. */
export type EventMap<C, S extends Side> = SideOf<C, S> extends { events?: infer E } ? (NonNullable<E> extends object ? NonNullable<E> : {}) : {};

/** Requests that side `S` of contract `C` makes: name → {@link RequestShape}. */
export type RequestMap<C, S extends Side> = SideOf<C, S> extends { requests?: infer R } ? (NonNullable<R> extends object ? NonNullable<R> : {}) : {};

/** Names of the events in map `M`. */
export type EventName<M> = keyof M & string;

/** Names of the requests in map `M`. */
export type RequestName<M> = keyof M & string;

/** The request payload of request `K` in map `M` (`undefined` when the contract names none). */
export type RequestPayload<M, K extends keyof M> = M[K] extends { request: infer P } ? P : undefined;

/** The response payload of request `K` in map `M` (`void` when the contract names none). */
export type ResponsePayload<M, K extends keyof M> = M[K] extends { response: infer R } ? R : void;

/** What a payload type turns into where JSON cannot carry it: the compile error names the problem. */
export interface NotJson<Problem extends string> {
  readonly 'JSON cannot carry this payload type': Problem;
}

type AnyFunction = (...args: never[]) => unknown;
type Binary = ArrayBuffer | ArrayBufferView;

/**
 * `P` where JSON can carry it, with every part JSON cannot carry (BigInt, symbols, functions,
 * Map, Set, WeakMap, WeakSet, RegExp, Promise) replaced by a {@link NotJson} marker, so sending
 * one is a compile error at the `emit`/`request` call (and a runtime error from the JSON codec,
 * which also refuses what types cannot see: cycles, NaN, `undefined` fields). Values with a
 * `toJSON` (Date, URL) and binary data (Uint8Array, ArrayBuffer: binary frames) are accepted.
 */
export type JsonPayload<P> = P extends bigint
  ? NotJson<'bigint'>
  : P extends symbol
    ? NotJson<'symbol'>
    : P extends AnyFunction
      ? NotJson<'function'>
      : P extends ReadonlyMap<unknown, unknown> | ReadonlySet<unknown> | WeakMap<object, unknown> | WeakSet<object>
        ? NotJson<'Map or Set (use an object or an array)'>
        : P extends RegExp | Promise<unknown>
          ? NotJson<'RegExp or Promise'>
          : P extends Binary | { toJSON(...args: never[]): unknown }
            ? P
            : P extends object
              ? { [K in keyof P]: JsonPayload<P[K]> }
              : P;

/** Argument list for a payload: optional when `undefined` (or `void`) is acceptable. */
export type PayloadArgs<P> = undefined extends P ? [payload?: JsonPayload<P>] : [payload: JsonPayload<P>];

/** Listener of an incoming event. */
export type EventHandler<P> = (payload: P) => void;

/**
 * Handler of an incoming request: returns (or resolves to) the response payload, or throws a
 * `RequestError` whose `code` travels back to the requester (anything else becomes `internal`).
 */
export type RequestHandler<P, R, Ctx = void> = (payload: P, context: Ctx) => JsonPayload<R> | Promise<JsonPayload<R>>;

/**
 * One end's view of the contract: what it emits and receives, what it calls and serves.
 * The client uses `Endpoint<C, 'client'>`, the server `Endpoint<C, 'server'>`.
 */
export interface Endpoint<C, S extends Side> {
  /** Events this end sends. */
  emits: EventMap<C, S>;
  /** Events this end receives. */
  receives: EventMap<C, Opposite<S>>;
  /** Requests this end makes. */
  calls: RequestMap<C, S>;
  /** Requests this end handles. */
  serves: RequestMap<C, Opposite<S>>;
}

/** The client's view of contract `C`. */
export type ClientEndpoint<C> = Endpoint<C, 'client'>;

/** The server's view of contract `C`. */
export type ServerEndpoint<C> = Endpoint<C, 'server'>;

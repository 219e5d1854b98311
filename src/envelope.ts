import { CloseCodes } from './close-codes.js';
import { ErrorCodes, ProtocolError } from './errors.js';
import { assertNever } from './assert-never.js';

/** The envelope format version this build speaks (field `v`). */
export const PROTOCOL_VERSION = 1;

/** Every envelope kind of wire format v1 (field `type`). */
export const EnvelopeTypes = ['hello', 'welcome', 'event', 'request', 'response', 'error', 'ping', 'pong'] as const;

/** One of {@link EnvelopeTypes}. */
export type EnvelopeType = (typeof EnvelopeTypes)[number];

/** Which end of the conversation is speaking. */
export type Side = 'client' | 'server';

/** Who may send each envelope kind (docs/protocol.md "Directions"). */
export const EnvelopeDirections: Readonly<Record<EnvelopeType, Side | 'both'>> = Object.freeze({
  hello: 'client',
  welcome: 'server',
  event: 'both',
  request: 'both',
  response: 'both',
  error: 'both',
  ping: 'both',
  pong: 'both',
});

interface EnvelopeBase {
  /** Format version, always {@link PROTOCOL_VERSION}. */
  v: typeof PROTOCOL_VERSION;
  /** Reserved for session resume: per-delivered-message sequence number. Not interpreted in v1. */
  seq?: number;
}

/** Client → server, first envelope of every connection: credentials and (reserved) resume data. */
export interface HelloEnvelope extends EnvelopeBase {
  type: 'hello';
  /** Whatever the client's `auth` option produced for this attempt (any JSON value). */
  auth?: unknown;
  /** Reserved for session resume: the session id from a previous welcome. */
  sid?: string;
}

/** Server → client, answer to a accepted hello; the connection is usable after it. */
export interface WelcomeEnvelope extends EnvelopeBase {
  type: 'welcome';
  /** Reserved for session resume: the id of this session. */
  sid?: string;
}

/** Either direction: a fire-and-forget typed event. */
export interface EventEnvelope extends EnvelopeBase {
  type: 'event';
  name: string;
  payload?: unknown;
}

/** Either direction: a call that expects exactly one `response` or `error` with the same `id`. */
export interface RequestEnvelope extends EnvelopeBase {
  type: 'request';
  /** Chosen by the requester, unique among its own pending requests. */
  id: number;
  name: string;
  payload?: unknown;
}

/** Either direction: the successful result of the peer's request `id`. */
export interface ResponseEnvelope extends EnvelopeBase {
  type: 'response';
  id: number;
  payload?: unknown;
}

/** Either direction: the failure of the peer's request `id`. */
export interface ErrorEnvelope extends EnvelopeBase {
  type: 'error';
  id: number;
  /** Machine-readable: `timeout`, `unknown_method`, `invalid_payload`, `internal` or the application's own. */
  code: string;
  message: string;
  /** Optional structured detail (e.g. validation issues). */
  details?: unknown;
}

/** Either direction: heartbeat probe; the receiver answers `pong`. */
export interface PingEnvelope extends EnvelopeBase {
  type: 'ping';
}

/** Either direction: heartbeat answer. */
export interface PongEnvelope extends EnvelopeBase {
  type: 'pong';
}

/** A wire format v1 envelope. */
export type Envelope =
  | HelloEnvelope
  | WelcomeEnvelope
  | EventEnvelope
  | RequestEnvelope
  | ResponseEnvelope
  | ErrorEnvelope
  | PingEnvelope
  | PongEnvelope;

/** Longest accepted `name`, in UTF-16 code units: names are identifiers, not data. */
export const MAX_NAME_LENGTH = 256;

type Fields = Record<string, unknown>;

function fail(message: string, closeCode: number, code: string = ErrorCodes.InvalidEnvelope): never {
  throw new ProtocolError(code, message, closeCode);
}

// A malformed-but-parseable envelope is the peer breaking our policy: 1008.
function policy(message: string): never {
  return fail(message, CloseCodes.PolicyViolation);
}

function isCount(value: unknown): boolean {
  return Number.isSafeInteger(value) && (value as number) >= 0;
}

// Each rule reports the field it guards: `"id" is invalid` is enough for a peer's implementer.
function check(ok: boolean, key: string): void {
  if (!ok) policy(`"${key}" is invalid`);
}

function requireId(o: Fields): void {
  check(isCount(o['id']), 'id');
}

function requireName(o: Fields): void {
  const name = o['name'];
  check(typeof name === 'string' && name.length > 0 && name.length <= MAX_NAME_LENGTH, 'name');
}

/**
 * Strictly checks that a decoded JSON value is a v1 envelope and returns it typed.
 * Throws a {@link ProtocolError} whose `closeCode` says how to fail the connection:
 * 1003 for an unknown version or kind, 1008 for a malformed envelope. Unknown extra fields are ignored.
 */
export function parseEnvelope(value: unknown): Envelope {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) policy('not a JSON object');
  const o = value as Fields;
  // docs/protocol.md §Versioning: a receiver refuses versions it does not speak.
  if (o['v'] !== PROTOCOL_VERSION) fail(`unsupported version ${JSON.stringify(o['v'])}`, CloseCodes.UnsupportedData, ErrorCodes.UnsupportedVersion);
  const type = o['type'];
  // Own keys of the directions table are the kinds; inherited ones (`toString`…) are functions.
  if (typeof type !== 'string' || typeof EnvelopeDirections[type as EnvelopeType] !== 'string') fail(`unknown type ${JSON.stringify(type)}`, CloseCodes.UnsupportedData);
  check(o['seq'] === undefined || isCount(o['seq']), 'seq');
  const kind = type as EnvelopeType;
  switch (kind) {
    case 'hello':
    case 'welcome':
      check(o['sid'] === undefined || typeof o['sid'] === 'string', 'sid');
      break;
    case 'event':
      requireName(o);
      break;
    case 'request':
      requireId(o);
      requireName(o);
      break;
    case 'response':
      requireId(o);
      break;
    case 'error':
      requireId(o);
      check(typeof o['code'] === 'string' && o['code'].length > 0, 'code');
      check(typeof o['message'] === 'string', 'message');
      break;
    case 'ping':
    case 'pong':
      break;
    default: {
      return assertNever(kind);
    }
  }
  return o as unknown as Envelope;
}

/**
 * A v1 envelope: `{ v, type, ...fields }`, with the optional field `key` set only when `value`
 * is defined (so builders never emit `"payload": undefined` keys). Shared by every builder.
 */
export function envelopeOf<E extends Envelope>(type: E['type'], fields: object, key?: string, value?: unknown): E {
  const envelope = { v: PROTOCOL_VERSION, type, ...fields } as Record<string, unknown>;
  if (key !== undefined && value !== undefined) envelope[key] = value;
  return envelope as E;
}

/** An event envelope (`payload` omitted when undefined). */
export function eventEnvelope(name: string, payload?: unknown): EventEnvelope {
  return envelopeOf('event', { name }, 'payload', payload);
}

/** A response envelope answering request `id`. */
export function responseEnvelope(id: number, payload?: unknown): ResponseEnvelope {
  return envelopeOf('response', { id }, 'payload', payload);
}

/** The client's hello (`auth` omitted when undefined). */
export function helloEnvelope(auth?: unknown): HelloEnvelope {
  return envelopeOf('hello', {}, 'auth', auth);
}

/** The server's welcome. */
export function welcomeEnvelope(sid?: string): WelcomeEnvelope {
  return envelopeOf('welcome', {}, 'sid', sid);
}

import { CloseCodes } from './close-codes.js';
import { ErrorCodes, ProtocolError } from './errors.js';
import { assertNever } from './assert-never.js';

/** The envelope format version this build speaks (field `v`). */
export const PROTOCOL_VERSION = 1;

/** Every envelope kind of wire format v1 (field `type`). */
export const EnvelopeTypes = ['hello', 'welcome', 'event', 'request', 'response', 'error', 'ping', 'pong', 'ack'] as const;

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
  ack: 'both',
});

/** Why a session could not be resumed (welcome `reason`, client `open` event; docs/protocol.md §10). */
export const ResumeFailures = {
  /** The session's window passed (or it ended and the server still remembers that). */
  Expired: 'expired',
  /** The session's log went over its bounds: something it would have to replay is gone. */
  Overflow: 'overflow',
  /** The session belongs to an earlier run of the server (or its history was lost). */
  Restart: 'restart',
  /** The hello authenticated as someone else than the session's owner. */
  Identity: 'identity',
  /** The server has never heard of this session (or forgot it). */
  Unknown: 'unknown',
  /** The server (or the client) does not resume sessions. */
  Disabled: 'disabled',
  /** The session was closed on purpose (by either end). */
  Closed: 'closed',
  /** The resume attempt was inconsistent (an `ack` behind what was acknowledged or ahead of what was sent). */
  Invalid: 'invalid',
} as const;

/** One of {@link ResumeFailures}. */
export type ResumeFailure = (typeof ResumeFailures)[keyof typeof ResumeFailures];

interface EnvelopeBase {
  /** Format version, always {@link PROTOCOL_VERSION}. */
  v: typeof PROTOCOL_VERSION;
  /**
   * Session resume (docs/protocol.md §10): this envelope's number in its direction of the session,
   * 1, 2, 3… on `event`, `request`, `response` and `error` when both ends agreed to resume.
   */
  seq?: number;
  /** Session resume: the sender received every envelope of the other direction up to this seq. */
  ack?: number;
}

/** Client → server, first envelope of every connection: credentials and (reserved) resume data. */
export interface HelloEnvelope extends EnvelopeBase {
  type: 'hello';
  /** Whatever the client's `auth` option produced for this attempt (any JSON value). */
  auth?: unknown;
  /** Session resume: the client speaks it (sent on every hello of a resuming client). */
  resume?: boolean;
  /** Session resume: the session to resume (from an earlier welcome); `ack` says what arrived of it. */
  sid?: string;
}

/** Server → client, answer to a accepted hello; the connection is usable after it. */
export interface WelcomeEnvelope extends EnvelopeBase {
  type: 'welcome';
  /** Session resume: the id of this session (new, or the one resumed). */
  sid?: string;
  /** Session resume: true when the hello's `sid` was resumed (then `ack` says what the server has). */
  resumed?: boolean;
  /** Session resume: why the hello's `sid` was not resumed (a {@link ResumeFailure}). */
  reason?: string;
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

/** Either direction, session resume only: a standalone cumulative acknowledgement (`ack` required). */
export interface AckEnvelope extends EnvelopeBase {
  type: 'ack';
  ack: number;
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
  | PongEnvelope
  | AckEnvelope;

/** The kinds numbered by `seq` in a resumable session: all application traffic. */
export type SequencedEnvelope = EventEnvelope | RequestEnvelope | ResponseEnvelope | ErrorEnvelope;

/** Longest accepted `name`, in UTF-16 code units: names are identifiers, not data. */
export const MAX_NAME_LENGTH = 256;

type Fields = Record<string, unknown>;

/**
 * The one way an envelope (or the frame or session carrying it) is refused: a ProtocolError, by
 * default `ERR_INVALID_ENVELOPE` failing the connection with 1008. Both ends build theirs here.
 */
export function envelopeError(message: string, closeCode: number = CloseCodes.PolicyViolation, code: string = ErrorCodes.InvalidEnvelope): ProtocolError {
  return new ProtocolError(code, message, closeCode);
}

function fail(message: string, closeCode: number, code?: string): never {
  throw envelopeError(message, closeCode, code);
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
  check(o['ack'] === undefined || isCount(o['ack']), 'ack');
  const kind = type as EnvelopeType;
  switch (kind) {
    case 'hello':
      check(o['sid'] === undefined || typeof o['sid'] === 'string', 'sid');
      check(o['resume'] === undefined || typeof o['resume'] === 'boolean', 'resume');
      break;
    case 'welcome':
      check(o['sid'] === undefined || typeof o['sid'] === 'string', 'sid');
      check(o['resumed'] === undefined || typeof o['resumed'] === 'boolean', 'resumed');
      check(o['reason'] === undefined || typeof o['reason'] === 'string', 'reason');
      break;
    case 'ack':
      check(isCount(o['ack']), 'ack');
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

/**
 * The client's hello (`auth` omitted when undefined). `resume` marks a client that speaks session
 * resume, and names the session to resume with the last seq received of it (docs/protocol.md §10).
 */
export function helloEnvelope(auth?: unknown, resume?: { sid?: string | undefined; ack?: number | undefined }): HelloEnvelope {
  const hello = envelopeOf<HelloEnvelope>('hello', {}, 'auth', auth);
  if (resume === undefined) return hello;
  hello.resume = true;
  if (resume.sid !== undefined) {
    hello.sid = resume.sid;
    hello.ack = resume.ack ?? 0;
  }
  return hello;
}

/** The server's welcome; `resume` adds the session fields (docs/protocol.md §10). */
export function welcomeEnvelope(sid?: string, resume?: { resumed: boolean; ack: number; reason?: string | undefined }): WelcomeEnvelope {
  const welcome = envelopeOf<WelcomeEnvelope>('welcome', {}, 'sid', sid);
  if (resume === undefined) return welcome;
  welcome.resumed = resume.resumed;
  welcome.ack = resume.ack;
  if (resume.reason !== undefined) welcome.reason = resume.reason;
  return welcome;
}

/** A standalone acknowledgement of everything up to `seq`. */
export function ackEnvelope(seq: number): AckEnvelope {
  return envelopeOf<AckEnvelope>('ack', { ack: seq });
}

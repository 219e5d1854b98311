/**
 * Session ids (docs/protocol.md §10): 128 random bits, unguessable, base64url, behind a short tag
 * of the server run that minted them. The tag is what tells "a session of an earlier run" (the
 * server restarted: `restart`) from "a session this run never knew or forgot" (`unknown`), without
 * remembering anything about earlier runs.
 */
import { randomBytes } from 'node:crypto';

/** Random bytes source (injectable for tests). */
export type RandomBytes = (size: number) => Uint8Array;

/** Bytes of the run tag (48 bits: two runs colliding is a 1 in 2^48 event, and costs only a reason). */
const EPOCH_BYTES = 6;
/** Bytes of the unguessable part (128 bits). */
const RANDOM_BYTES = 16;
/** base64url without padding: 4 characters per 3 bytes, rounded up. */
const EPOCH_CHARS = Math.ceil((EPOCH_BYTES * 4) / 3);
const SID_CHARS = EPOCH_CHARS + Math.ceil((RANDOM_BYTES * 4) / 3);
const SID_SHAPE = new RegExp(`^[A-Za-z0-9_-]{${SID_CHARS}}$`);

/** Where a sid presented in a hello comes from. */
export type SidOrigin =
  /** Minted by this run of the server. */
  | 'current'
  /** Well-formed, minted by another run (an earlier one, before a restart). */
  | 'earlier'
  /** Not a sid Tandem mints (garbage, truncated, another server's format). */
  | 'malformed';

function base64url(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64url');
}

/** Mints and classifies session ids for one server run. */
export class SessionIds {
  /** This run's tag, the first characters of every sid it mints. */
  readonly epoch: string;
  readonly #random: RandomBytes;

  constructor(random: RandomBytes = randomBytes) {
    this.#random = random;
    this.epoch = base64url(random(EPOCH_BYTES));
  }

  /** A fresh session id: this run's tag + 128 random bits, base64url (30 characters). */
  mint(): string {
    return this.epoch + base64url(this.#random(RANDOM_BYTES));
  }

  /** Where `sid` comes from; checks the shape before anything else (a hello's sid is untrusted). */
  classify(sid: string): SidOrigin {
    if (sid.length !== SID_CHARS || !SID_SHAPE.test(sid)) return 'malformed';
    return sid.startsWith(this.epoch) ? 'current' : 'earlier';
  }
}

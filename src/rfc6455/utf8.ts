/**
 * UTF-8 validation (RFC 3629 §4, as RFC 6455 §8.1 requires for text messages and close reasons)
 * with a table-driven automaton: a byte class table and a transition table, no branches per
 * sequence shape. {@link Utf8Validator} keeps its state across pieces, so a sequence split across
 * fragments (or TCP chunks) is judged as a whole, and an invalid byte fails the moment it arrives.
 */

// Byte classes: which bytes may follow which is decided by these ranges alone (RFC 3629 §4).
const C_ASCII = 0; // 00..7F
const C_CONT_LOW = 1; // 80..8F
const C_CONT_MID = 2; // 90..9F
const C_CONT_HIGH = 3; // A0..BF
const C_INVALID = 4; // C0 C1 F5..FF: never in UTF-8 (overlong lead bytes, > U+10FFFF)
const C_LEAD2 = 5; // C2..DF
const C_E0 = 6; // E0: second byte A0..BF (shorter forms are overlong)
const C_LEAD3 = 7; // E1..EC EE EF
const C_ED = 8; // ED: second byte 80..9F (A0..BF would encode surrogates D800..DFFF)
const C_F0 = 9; // F0: second byte 90..BF (shorter forms are overlong)
const C_LEAD4 = 10; // F1..F3
const C_F4 = 11; // F4: second byte 80..8F (above would exceed U+10FFFF)
const CLASS_COUNT = 12;

// States: how many continuation bytes are still owed, and which range the next one must be in.
const ACCEPT = 0;
const REJECT = 1;
const NEED1 = 2;
const NEED2 = 3;
const NEED3 = 4;
const AFTER_E0 = 5;
const AFTER_ED = 6;
const AFTER_F0 = 7;
const AFTER_F4 = 8;
const STATE_COUNT = 9;

function classOf(byte: number): number {
  if (byte < 0x80) return C_ASCII;
  if (byte < 0x90) return C_CONT_LOW;
  if (byte < 0xa0) return C_CONT_MID;
  if (byte < 0xc0) return C_CONT_HIGH;
  if (byte < 0xc2) return C_INVALID;
  if (byte < 0xe0) return C_LEAD2;
  if (byte === 0xe0) return C_E0;
  if (byte === 0xed) return C_ED;
  if (byte < 0xf0) return C_LEAD3;
  if (byte === 0xf0) return C_F0;
  if (byte < 0xf4) return C_LEAD4;
  if (byte === 0xf4) return C_F4;
  return C_INVALID;
}

const CLASSES = new Uint8Array(256);
for (let b = 0; b < 256; b++) CLASSES[b] = classOf(b);

/** TRANSITIONS[state * CLASS_COUNT + class] → next state; unlisted pairs reject. */
const TRANSITIONS = new Uint8Array(STATE_COUNT * CLASS_COUNT).fill(REJECT);
function allow(state: number, classes: readonly number[], next: number): void {
  for (const c of classes) TRANSITIONS[state * CLASS_COUNT + c] = next;
}
const ANY_CONT = [C_CONT_LOW, C_CONT_MID, C_CONT_HIGH];
allow(ACCEPT, [C_ASCII], ACCEPT);
allow(ACCEPT, [C_LEAD2], NEED1);
allow(ACCEPT, [C_E0], AFTER_E0);
allow(ACCEPT, [C_LEAD3], NEED2);
allow(ACCEPT, [C_ED], AFTER_ED);
allow(ACCEPT, [C_F0], AFTER_F0);
allow(ACCEPT, [C_LEAD4], NEED3);
allow(ACCEPT, [C_F4], AFTER_F4);
allow(NEED1, ANY_CONT, ACCEPT);
allow(NEED2, ANY_CONT, NEED1);
allow(NEED3, ANY_CONT, NEED2);
allow(AFTER_E0, [C_CONT_HIGH], NEED1);
allow(AFTER_ED, [C_CONT_LOW, C_CONT_MID], NEED1);
allow(AFTER_F0, [C_CONT_MID, C_CONT_HIGH], NEED2);
allow(AFTER_F4, [C_CONT_LOW], NEED2);

/** Run the automaton over `bytes` from `state`; stops early on REJECT. */
function run(state: number, bytes: Uint8Array): number {
  const length = bytes.length;
  for (let i = 0; i < length; i++) {
    const byte = bytes[i]!;
    // ASCII runs are the common case: no table lookups while nothing is owed.
    if (state === ACCEPT && byte < 0x80) continue;
    state = TRANSITIONS[state * CLASS_COUNT + CLASSES[byte]!]!;
    if (state === REJECT) return REJECT;
  }
  return state;
}

/** Is `bytes` one complete, valid UTF-8 string? The engine's own whole-message path. */
export function isValidUtf8(bytes: Uint8Array): boolean {
  return run(ACCEPT, bytes) === ACCEPT;
}

/** Pieces shorter than this go through the automaton alone: the fast check's call costs more. */
const FAST_CHECK_MIN_BYTES = 256;

/**
 * Incremental validator for one message at a time. `push` returns false as soon as the bytes seen
 * so far cannot start a valid string; with `final` it also requires the last sequence complete.
 */
export class Utf8Validator {
  private state: number = ACCEPT;
  private readonly fastCheck: ((bytes: Uint8Array) => boolean) | undefined;

  /**
   * `fastCheck`: an optional whole-string validator (e.g. node:buffer `isUtf8`) used for the bulk of
   * long pieces — the part up to the last sequence boundary; the automaton handles the edges.
   */
  constructor(fastCheck?: (bytes: Uint8Array) => boolean) {
    this.fastCheck = fastCheck;
  }

  /** Feed the next piece; `final` marks the end of the message. */
  push(bytes: Uint8Array, final: boolean): boolean {
    if (this.state === REJECT) return false;
    const state = this.fastCheck !== undefined && bytes.length >= FAST_CHECK_MIN_BYTES ? this.runFast(bytes) : run(this.state, bytes);
    if (final) {
      // RFC 3629 §3: a string may not end inside a sequence.
      this.state = state === ACCEPT ? ACCEPT : REJECT;
      return state === ACCEPT;
    }
    this.state = state;
    return state !== REJECT;
  }

  /** Finish a pending sequence with the automaton, check the bulk at once, run the trailing sequence. */
  private runFast(bytes: Uint8Array): number {
    let state = this.state;
    let start = 0;
    while (state !== ACCEPT && state !== REJECT && start < bytes.length) {
      state = TRANSITIONS[state * CLASS_COUNT + CLASSES[bytes[start]!]!]!;
      start++;
    }
    if (state !== ACCEPT) return state;
    // The last lead byte (within the last 4) starts a sequence that may continue in the next piece.
    let boundary = bytes.length;
    for (let i = bytes.length - 1; i >= Math.max(start, bytes.length - 4); i--) {
      if ((bytes[i]! & 0xc0) !== 0x80) {
        boundary = bytes[i]! < 0x80 ? i + 1 : i;
        break;
      }
    }
    if (!this.fastCheck!(bytes.subarray(start, boundary))) return REJECT;
    return run(ACCEPT, bytes.subarray(boundary));
  }

  /** Start a new message. */
  reset(): void {
    this.state = ACCEPT;
  }
}

// ECMAScript does not define the Encoding API; every target platform (browsers, Node) does.
declare const TextEncoder: new () => { encode(input: string): Uint8Array };
declare const TextDecoder: new (label?: string) => { decode(input: Uint8Array): string };

let encoder: { encode(input: string): Uint8Array } | undefined;
let decoder: { decode(input: Uint8Array): string } | undefined;

/** UTF-8 bytes of `text`. */
export function encodeUtf8(text: string): Uint8Array {
  encoder ??= new TextEncoder();
  return encoder.encode(text);
}

/** The string in `bytes`, which the caller has already validated. */
export function decodeUtf8(bytes: Uint8Array): string {
  if (bytes.length === 0) return '';
  decoder ??= new TextDecoder('utf-8');
  return decoder.decode(bytes);
}

/**
 * The longest prefix of valid UTF-8 `bytes` of at most `maxBytes`, cut before a sequence rather
 * than inside it (used for close reasons, RFC 6455 §5.5: 123 bytes after the code).
 */
export function truncateUtf8(bytes: Uint8Array, maxBytes: number): Uint8Array {
  if (bytes.length <= maxBytes) return bytes;
  let end = maxBytes;
  // A continuation byte (10xxxxxx) at the cut means the cut splits a sequence: back off to its lead.
  while (end > 0 && (bytes[end]! & 0xc0) === 0x80) end--;
  return bytes.subarray(0, end);
}

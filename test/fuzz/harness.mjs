/**
 * The fuzzing harness for the frame parser (through the engine's `Connection`) and the envelope
 * decoder. Plain JavaScript so both runners use it: the CI test (test/fuzz/fuzz.test.ts, the
 * TypeScript sources) and the long run (test/fuzz/long-fuzz.mjs, the built dist/ in worker
 * threads with a hang watchdog). Every target function gets the module under test as an argument.
 *
 * Invariants checked on every input (a violation is returned as a string, never thrown):
 * - no exception escapes `receive()` / `decodeEnvelope()`;
 * - bounded work: at most `bytes + 4` engine events per input (each event consumes at least two
 *   bytes, plus the pong or close frame it writes), and the long run's watchdog for real hangs;
 * - every failure is one close code from the close-code table that may be sent on the wire
 *   (never 1005/1006/1015), written as the last frame before the error, and nothing follows it;
 * - chunking never changes the outcome (whole, one byte at a time, and random cuts agree);
 * - a decoded envelope has a known type and survives encode → decode unchanged.
 */

/** Frame targets: role × permessage-deflate negotiated (RSV1 allowed). Small limits so fuzzing reaches 1009. */
export const FRAME_TARGETS = Object.freeze({
  'frames-server': { role: 'server', rsv1Allowed: false },
  'frames-client': { role: 'client', rsv1Allowed: false },
  'frames-server-deflate': { role: 'server', rsv1Allowed: true },
  'frames-client-deflate': { role: 'client', rsv1Allowed: true },
});
/** The envelope decoder target (the default JSON codec, text and binary messages). */
export const ENVELOPE_TARGET = 'envelopes';
export const TARGETS = Object.freeze([...Object.keys(FRAME_TARGETS), ENVELOPE_TARGET]);
const LIMITS = Object.freeze({ maxPayload: 4096, maxFragments: 16 });
const NEVER_ON_WIRE = new Set([1005, 1006, 1015]);

/** A seeded xorshift32 generator: `next()` in [0, 2^32), `below(n)`, `pick(array)`. */
export function rng(seed) {
  let s = seed >>> 0 || 0x9e3779b9;
  const next = () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s;
  };
  return { next, below: (n) => (n <= 0 ? 0 : next() % n), pick: (a) => a[next() % a.length] };
}

export function toHex(bytes) {
  let out = '';
  for (const b of bytes) out += b.toString(16).padStart(2, '0');
  return out;
}

export function fromHex(hex) {
  const clean = hex.replace(/\s+/g, '');
  const out = new Uint8Array(clean.length >> 1);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(clean.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/**
 * Feeds `bytes` (cut at `cuts`) to a fresh `Connection` of `target` and returns what it did as
 * strings, or `{ threw }` if an exception escaped.
 */
export function runFrames(rfc6455, target, bytes, cuts) {
  const events = [];
  const options = { ...FRAME_TARGETS[target], ...LIMITS, randomMask: (key) => key.set([1, 2, 3, 4]) };
  const connection = new rfc6455.Connection(
    {
      write: (chunks) => events.push(`write ${chunks.map(toHex).join('')}`),
      message: (data, binary, compressed) => events.push(`message ${binary ? 'binary' : 'text'}${compressed ? ' rsv1' : ''} ${toHex(data)}`),
      ping: (payload) => events.push(`ping ${toHex(payload)}`),
      pong: (payload) => events.push(`pong ${toHex(payload)}`),
      closeFrame: (code, reason) => events.push(`close ${code} ${JSON.stringify(reason)}`),
      error: (err) => events.push(`error ${err.closeCode} ${err.code}`),
    },
    options,
  );
  try {
    let start = 0;
    for (const cut of [...cuts, bytes.length]) {
      // A copy per chunk: the engine unmasks in place, and the same input is replayed.
      connection.receive(bytes.slice(start, cut));
      start = cut;
    }
  } catch (err) {
    return { threw: String(err?.stack ?? err), events };
  }
  return { events };
}

/** The invariants of one frame outcome; a description of the first violation, or null. */
export function checkFrames(outcome, bytes, closeCodes) {
  if (outcome.threw !== undefined) return `exception escaped receive(): ${outcome.threw}`;
  const events = outcome.events;
  if (events.length > bytes.length + 4) return `${events.length} events for ${bytes.length} bytes`;
  const errors = events.filter((e) => e.startsWith('error '));
  if (errors.length > 1) return `${errors.length} errors reported`;
  if (errors.length === 1) {
    const closeCode = Number(errors[0].split(' ')[1]);
    if (!closeCodes.has(closeCode) || NEVER_ON_WIRE.has(closeCode)) return `error close code ${closeCode} is not a sendable code of the table`;
    if (events[events.length - 1] !== errors[0]) return 'events after the error';
    const close = events[events.length - 2] ?? '';
    // The close frame written just before carries the code (a server's is unmasked: check it whole).
    if (!close.startsWith('write 88')) return `no close frame before the error (${close})`;
    if (close.startsWith('write 8802') && close !== `write 8802${closeCode.toString(16).padStart(4, '0')}`) return `close frame ${close} does not carry ${closeCode}`;
  }
  const closes = events.filter((e) => e.startsWith('close '));
  if (closes.length + errors.length > 1) return 'more than one ending';
  if (closes.length === 1 && events[events.length - 1] !== closes[0]) return 'events after the close frame';
  return null;
}

/** Whole, one byte at a time (short inputs), and `extraCuts` random cut sets: all must agree. */
export function chunkings(bytes, random, extraCuts = 2) {
  const sets = [[]];
  if (bytes.length > 1 && bytes.length <= 600) sets.push(Array.from({ length: bytes.length - 1 }, (_, i) => i + 1));
  for (let k = 0; k < extraCuts && bytes.length > 1; k++) {
    const cuts = new Set();
    const n = 1 + random.below(6);
    for (let i = 0; i < n; i++) cuts.add(1 + random.below(bytes.length - 1));
    sets.push([...cuts].sort((a, b) => a - b));
  }
  return sets;
}

/** Runs every invariant of a frame input; returns { violation, signature }. */
export function checkFrameInput(rfc6455, closeCodes, target, bytes, random) {
  let reference;
  for (const cuts of chunkings(bytes, random)) {
    const outcome = runFrames(rfc6455, target, bytes, cuts);
    const violation = checkFrames(outcome, bytes, closeCodes);
    if (violation !== null) return { violation: `${violation} (cuts ${JSON.stringify(cuts.slice(0, 20))})`, signature: '' };
    const text = outcome.events.join('\n');
    if (reference === undefined) reference = text;
    else if (text !== reference) return { violation: `chunking changed the outcome (cuts ${JSON.stringify(cuts.slice(0, 20))})`, signature: '' };
  }
  return { violation: null, signature: frameSignature(reference) };
}

/**
 * What makes a frame input interesting: which kinds of event its outcome has and how it ended
 * (error code, close code), not its bytes or event order — coarse enough that the corpus grows by
 * new behaviour only.
 */
function frameSignature(text) {
  const kinds = new Set();
  for (const e of text.split('\n')) {
    if (e.startsWith('error ')) kinds.add(e.split(' ').slice(0, 3).join(' '));
    else if (e.startsWith('close ')) kinds.add(Number(e.split(' ')[1]) >= 3000 ? 'close 3000-4999' : e.split(' ').slice(0, 2).join(' '));
    else if (e !== '') kinds.add(e.split(' ').slice(0, e.startsWith('message ') ? 3 : 1).join(' ').replace(/ [0-9a-f]*$/, ''));
  }
  return [...kinds].sort().join('|');
}

/** An envelope input is a text message (bytes decoded as UTF-8, as the engine validated them) or binary. */
export function envelopeData(bytes) {
  if (bytes.length > 0 && bytes[0] === 0x01) return bytes; // a binary frame (version byte 1)
  return new TextDecoder().decode(bytes);
}

/** Decodes one envelope input and checks its invariants; returns { violation, signature }. */
export function checkEnvelopeInput(api, closeCodes, bytes) {
  const data = envelopeData(bytes);
  let result;
  try {
    result = api.decodeEnvelope(api.jsonCodec, data);
  } catch (err) {
    return { violation: `exception escaped decodeEnvelope(): ${err?.stack ?? err}`, signature: '' };
  }
  if (!result.ok) {
    const { closeCode, code } = result.error;
    if (!closeCodes.has(closeCode) || NEVER_ON_WIRE.has(closeCode)) return { violation: `close code ${closeCode} is not a sendable code of the table`, signature: '' };
    if (typeof code !== 'string' || code === '') return { violation: 'error without a string code', signature: '' };
    return { violation: null, signature: `error ${closeCode} ${code} ${typeof data}` };
  }
  const envelope = result.envelope;
  if (!api.EnvelopeTypes.includes(envelope.type)) return { violation: `decoded unknown type ${envelope.type}`, signature: '' };
  let again;
  try {
    // Directions are enforced by the Conversation (a value, not a throw): every decoded kind has one.
    if (!['client', 'server', 'both'].includes(api.EnvelopeDirections[envelope.type])) throw new Error(`no direction for ${envelope.type}`);
    again = api.decodeEnvelope(api.jsonCodec, api.jsonCodec.encode(envelope));
  } catch (err) {
    return { violation: `exception re-encoding a decoded envelope: ${err?.stack ?? err}`, signature: '' };
  }
  if (!again.ok) return { violation: `re-encoded envelope does not decode: ${again.error.message}`, signature: '' };
  if (stable(again.envelope) !== stable(envelope)) return { violation: 'encode → decode changed the envelope', signature: '' };
  return { violation: null, signature: `ok ${envelope.type} ${typeof data}` };
}

function stable(value) {
  return JSON.stringify(value, (_key, v) => (v instanceof Uint8Array ? `bytes:${toHex(v)}` : v instanceof ArrayBuffer ? `buffer:${toHex(new Uint8Array(v))}` : v));
}

const INTERESTING_BYTES = [0x00, 0x01, 0x02, 0x7d, 0x7e, 0x7f, 0x80, 0x81, 0x82, 0x88, 0x89, 0x8a, 0xc1, 0xff, 0x22, 0x7b, 0x7d, 0x5b, 0x5d];
const INTERESTING_TEXT = ['{', '}', '"', ':', ',', '[', ']', 'null', '-1', '1e999', '"v":1', '"type":"event"', '"id":', '"name":', '"bin":[1]', '\\u0000', '\u00e9', '\ud83d\ude00'];

/** One random mutation of `input` (never in place), with `corpus` for splices. */
export function mutate(input, random, corpus) {
  const bytes = Array.from(input);
  const at = () => random.below(bytes.length + 1);
  const rounds = 1 + random.below(4);
  for (let r = 0; r < rounds; r++) {
    switch (random.below(9)) {
      case 0: // flip a bit
        if (bytes.length > 0) bytes[random.below(bytes.length)] ^= 1 << random.below(8);
        break;
      case 1: // an interesting byte
        if (bytes.length > 0) bytes[random.below(bytes.length)] = random.pick(INTERESTING_BYTES);
        break;
      case 2: // insert random bytes
        bytes.splice(at(), 0, ...Array.from({ length: 1 + random.below(8) }, () => random.below(256)));
        break;
      case 3: // delete a run
        bytes.splice(random.below(bytes.length), 1 + random.below(8));
        break;
      case 4: // duplicate a run (repeated frames, fragments)
        if (bytes.length > 0) {
          const from = random.below(bytes.length);
          bytes.splice(at(), 0, ...bytes.slice(from, from + 1 + random.below(32)));
        }
        break;
      case 5: // splice with another corpus entry
        if (corpus.length > 0) {
          const other = random.pick(corpus);
          const from = random.below(other.length);
          bytes.splice(at(), random.below(8), ...other.slice(from, from + 1 + random.below(64)));
        }
        break;
      case 6: // truncate
        bytes.length = random.below(bytes.length + 1);
        break;
      case 7: // interesting text (JSON structure, escapes, non-ASCII)
        bytes.splice(at(), random.below(3), ...new TextEncoder().encode(random.pick(INTERESTING_TEXT)));
        break;
      default: // swap two bytes
        if (bytes.length > 1) {
          const i = random.below(bytes.length);
          const j = random.below(bytes.length);
          [bytes[i], bytes[j]] = [bytes[j], bytes[i]];
        }
    }
  }
  if (bytes.length > 4096) bytes.length = 4096;
  return Uint8Array.from(bytes);
}

/**
 * Mutation fuzzing of one target from `seeds`: runs until `shouldStop(iterations)` is true.
 * Inputs whose outcome signature is new join the working corpus and are passed to
 * `onInteresting(bytes, signature)`; the first violation stops the run and is returned.
 */
export function fuzzTarget({ modules, target, seeds, seed, shouldStop, onInteresting = () => {}, onInput = () => {} }) {
  const random = rng(seed);
  const closeCodes = new Set(Object.values(modules.api.CloseCodes));
  const check = (bytes) =>
    target === ENVELOPE_TARGET ? checkEnvelopeInput(modules.api, closeCodes, bytes) : checkFrameInput(modules.rfc6455, closeCodes, target, bytes, random);
  const corpus = [...seeds];
  const seen = new Set();
  for (const bytes of corpus) {
    onInput(bytes);
    const { violation, signature } = check(bytes);
    if (violation !== null) return { iterations: 0, corpus: corpus.length, signatures: seen.size, failure: { target, hex: toHex(bytes), violation } };
    seen.add(signature);
  }
  let iterations = 0;
  while (!shouldStop(iterations)) {
    iterations++;
    const bytes = mutate(random.pick(corpus), random, corpus);
    onInput(bytes);
    const { violation, signature } = check(bytes);
    if (violation !== null) return { iterations, corpus: corpus.length, signatures: seen.size, failure: { target, hex: toHex(bytes), violation } };
    if (!seen.has(signature)) {
      seen.add(signature);
      corpus.push(bytes);
      onInteresting(bytes, signature);
    }
  }
  return { iterations, corpus: corpus.length, signatures: seen.size, failure: null };
}

/**
 * A broadcast as each resumable recipient logs it. With the JSON codec the encoded envelope is
 * shared (one {@link SharedBody} per broadcast, made by its first resumable recipient, the seq
 * spliced in per recipient). Any other codec's bytes cannot take a spliced field: the envelope is
 * decoded once per broadcast and each recipient encodes its own numbered copy.
 */
import type { BroadcastMessage } from '../adapter.js';
import { jsonCodec } from '../../../src/codec.js';
import type { Codec } from '../../../src/codec.js';
import type { SequencedEnvelope } from '../../../src/envelope.js';
import { SharedBody } from './log-entry.js';

/** How a resumable recipient logs a broadcast. */
export type SessionBroadcast = { readonly kind: 'shared'; readonly body: SharedBody } | { readonly kind: 'envelope'; readonly envelope: SequencedEnvelope };

const known = new WeakMap<BroadcastMessage, SessionBroadcast>();

/** The one {@link SessionBroadcast} of `message` for `codec`, made on first use. */
export function sessionBroadcast(message: BroadcastMessage, codec: Codec): SessionBroadcast {
  let made = known.get(message);
  if (made === undefined) {
    made =
      codec === jsonCodec
        ? { kind: 'shared', body: new SharedBody(message.data) }
        : { kind: 'envelope', envelope: codec.decode(message.data) as SequencedEnvelope };
    known.set(message, made);
  }
  return made;
}

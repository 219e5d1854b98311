/**
 * The debug trace, the way this ecosystem switches it on: `DEBUG=tandem:*` (Node) or
 * `localStorage.debug = 'tandem:*'` (a page), the syntax of the `debug` package — namespaces
 * separated by commas or spaces, `*` as a wildcard, a leading `-` to exclude. Tandem does not
 * depend on `debug` (the browser bundle stays small, and the core's only dependency stays
 * eventemitter3): this file is the ~30 lines of it Tandem needs, pure; each end supplies where
 * the spec comes from and where lines go (client/trace.ts, server/trace.ts).
 *
 * Namespaces: `tandem:client`, `tandem:client:wire`, `tandem:server`, `tandem:server:wire`,
 * `tandem:socket` (handshakes and connection closes of the RFC 6455 layer).
 */
import type { Codec } from './codec.js';
import type { Envelope } from './envelope.js';
import { describeMessage } from './json-check.js';

/** A trace function: call it only when `enabled` (build no strings for nobody). */
export interface Trace {
  (message: string): void;
  readonly enabled: boolean;
  readonly namespace: string;
}

function pattern(glob: string): RegExp {
  return new RegExp(`^${glob.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*?')}$`);
}

/** Is `namespace` switched on by `spec` (the `DEBUG` syntax)? Exclusions win. */
export function debugEnabled(spec: string | undefined, namespace: string): boolean {
  let on = false;
  for (const part of (spec ?? '').split(/[\s,]+/)) {
    const exclude = part.startsWith('-');
    if (part !== '' && pattern(exclude ? part.slice(1) : part).test(namespace)) {
      if (exclude) return false;
      on = true;
    }
  }
  return on;
}

/** A {@link Trace} for `namespace`, writing `namespace message` lines through `write` when enabled. */
export function createTrace(namespace: string, spec: string | undefined, write: (line: string) => void): Trace {
  const enabled = debugEnabled(spec, namespace);
  const trace = (message: string): void => {
    if (enabled) write(`${namespace} ${message}`);
  };
  return Object.assign(trace, { enabled, namespace });
}

// `request "join" #3`, `error to request 3 timeout`, `hello`: the message as errors name it, plus what tells it apart.
function summary(envelope: Envelope): string {
  const text = describeMessage(envelope);
  return envelope.type === 'request' ? `${text} #${envelope.id}` : envelope.type === 'error' ? `${text} ${envelope.code}` : text.replace(' envelope', '');
}

/**
 * `codec` with every envelope traced on `trace` (`→` sent, `←` received), or `codec` itself when
 * the trace is off: the wire trace costs nothing unless asked for.
 */
export function tracedCodec(codec: Codec, trace: Trace): Codec {
  if (!trace.enabled) return codec;
  return {
    name: codec.name,
    encode(envelope) {
      const data = codec.encode(envelope);
      trace(`→ ${summary(envelope)} (${typeof data === 'string' ? `${data.length} chars` : `${data.byteLength} bytes`})`);
      return data;
    },
    decode(data) {
      try {
        const envelope = codec.decode(data);
        trace(`← ${summary(envelope)}`);
        return envelope;
      } catch (err) {
        trace(`← invalid: ${(err as Error).message}`);
        throw err;
      }
    },
  };
}

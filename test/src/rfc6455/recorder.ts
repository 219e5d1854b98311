/**
 * Drives a Connection and records, in order and as plain data, every handler call and every frame
 * the engine returned for the test to write.
 */
import { Connection, type ConnectionHandler, type ConnectionOptions, type Frames, type SendOptions } from '../../../src/rfc6455/index.js';
import { concat, toHex } from '../../helpers/frames.js';

export type EngineEvent =
  | { type: 'write'; hex: string }
  | { type: 'message'; binary: boolean; compressed: boolean; hex: string }
  | { type: 'ping'; hex: string }
  | { type: 'pong'; hex: string }
  | { type: 'close'; code: number; reason: string }
  | { type: 'error'; name: string; code: string; closeCode: number };

/** The mask key tests inject into the client role, so written frames are exact bytes. */
export const TEST_CLIENT_KEY = [0x01, 0x02, 0x03, 0x04] as const;

export function fixedMask(key: Uint8Array): void {
  key.set(TEST_CLIENT_KEY);
}

export interface Recorded {
  connection: Connection;
  events: EngineEvent[];
}

/**
 * A Connection whose returned frames are also recorded as `write` events, so a test sees the
 * driver's writes and the engine's own (auto-pong, close echo, failure) in one ordered list.
 */
class RecordingConnection extends Connection {
  readonly #events: EngineEvent[];

  constructor(handler: ConnectionHandler, options: ConnectionOptions, events: EngineEvent[]) {
    super(handler, options);
    this.#events = events;
  }

  override send(data: Uint8Array, options?: SendOptions): Frames {
    return this.#written(super.send(data, options));
  }

  override ping(payload?: Uint8Array): Frames {
    return this.#written(super.ping(payload));
  }

  override pong(payload?: Uint8Array): Frames {
    return this.#written(super.pong(payload));
  }

  override close(code?: number, reason?: string): Frames {
    return this.#written(super.close(code, reason));
  }

  #written(frames: Frames): Frames {
    if (frames.length > 0) this.#events.push({ type: 'write', hex: toHex(concat(frames)) });
    return frames;
  }
}

export function record(options: ConnectionOptions): Recorded {
  const events: EngineEvent[] = [];
  const connection = new RecordingConnection(
    {
      write: (chunks) => events.push({ type: 'write', hex: toHex(concat(chunks)) }),
      message: (data, binary, compressed) => events.push({ type: 'message', binary, compressed, hex: toHex(data) }),
      ping: (payload) => events.push({ type: 'ping', hex: toHex(payload) }),
      pong: (payload) => events.push({ type: 'pong', hex: toHex(payload) }),
      closeFrame: (code, reason) => events.push({ type: 'close', code, reason }),
      error: (err) => events.push({ type: 'error', name: err.constructor.name, code: err.code, closeCode: err.closeCode }),
    },
    { randomMask: fixedMask, ...options },
    events,
  );
  return { connection, events };
}

/** Feed `bytes` cut at the given offsets (each chunk a fresh copy, as a socket would hand them over). */
export function feed(options: ConnectionOptions, bytes: Uint8Array, cuts: readonly number[]): EngineEvent[] {
  const { connection, events } = record(options);
  let start = 0;
  for (const cut of [...cuts, bytes.length]) {
    connection.receive(bytes.slice(start, cut));
    start = cut;
  }
  return events;
}

/**
 * The conformance case format and its runner: modelled on the Autobahn|Testsuite fuzzing client.
 * Each case writes client bytes, then asserts the exact frames the echo server answers and the
 * exact close code; the server must then close the TCP connection (RFC 6455 §7.1.1).
 */
import { expect } from 'vitest';
import { RawClient, closeCodeOf, closePayload } from '../helpers/raw-client.js';
import type { Frame } from '../helpers/raw-client.js';

export const TEXT = 1;
export const BINARY = 2;
export const CLOSE = 8;
export const PING = 9;
export const PONG = 10;
export const CONT = 0;

/** One expected server frame: opcode and exact payload. */
export type Expected = readonly [opcode: number, payload: Uint8Array | string];

/** A conformance case. */
export interface Case {
  /** Autobahn-style id, e.g. "5.6". */
  readonly id: string;
  readonly title: string;
  /** Writes the client's frames (masked by default). */
  readonly send: (c: RawClient) => void | Promise<void>;
  /** Frames the server must answer, in order (echoes and pongs). @default [] */
  readonly expect?: readonly Expected[];
  /**
   * The close code the server must fail the connection with; without it the case ends with a
   * clean close that the client starts (1000, echoed).
   */
  readonly failWith?: number;
  /** `send` performs the closing handshake itself (section 7): `expect` ends with the close echo. */
  readonly closesItself?: boolean;
  /** Bytes on the wire for the whole exchange may take longer (section 9). @default 5000 */
  readonly timeoutMs?: number;
}

function bytesOf(payload: Uint8Array | string): Buffer {
  return typeof payload === 'string' ? Buffer.from(payload, 'utf8') : Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
}

function describeFrame(frame: Frame | undefined): string {
  if (frame === undefined) return 'TCP closed';
  const p = frame.payload.length > 40 ? `${frame.payload.length} bytes` : JSON.stringify(frame.payload.toString('latin1'));
  return `opcode ${frame.opcode} fin ${frame.fin} rsv ${frame.rsv} payload ${p}`;
}

/** Asserts that `frame` is exactly an unmasked, final, RSV-free frame of `opcode` carrying `payload`. */
export function expectFrame(frame: Frame | undefined, opcode: number, payload: Uint8Array | string): void {
  const want = bytesOf(payload);
  const ok = frame !== undefined && frame.opcode === opcode && frame.fin && frame.rsv === 0 && !frame.masked && frame.payload.equals(want);
  if (!ok) expect.fail(`expected opcode ${opcode} with ${want.length} bytes, got ${describeFrame(frame)}`);
}

/**
 * Runs one case against the server listening on `port`, over a fresh TCP connection, or over
 * the client `connect` gives (e.g. an HTTP/2 stream: test/conformance/echo-h2.test.ts).
 */
export async function runCase(port: number, testCase: Case, connect: () => Promise<RawClient> = () => RawClient.connect(port)): Promise<void> {
  const timeoutMs = testCase.timeoutMs ?? 5000;
  const client = await connect();
  try {
    await testCase.send(client);
    for (const [opcode, payload] of testCase.expect ?? []) expectFrame(await client.next(timeoutMs), opcode, payload);
    if (testCase.closesItself === true) {
      // the close frame was among the expected frames
    } else if (testCase.failWith === undefined) {
      client.sendClose(1000);
      expectFrame(await client.next(timeoutMs), CLOSE, closePayload(1000));
    } else {
      const frame = await client.next(timeoutMs);
      if (frame?.opcode !== CLOSE) expect.fail(`expected a close frame ${testCase.failWith}, got ${describeFrame(frame)}`);
      expect(closeCodeOf(frame)).toBe(testCase.failWith);
    }
    // Nothing after the close frame, then the server ends the TCP connection.
    expect((await client.rest(timeoutMs)).map(describeFrame)).toEqual([]);
  } finally {
    client.destroy();
  }
}

/** Splits `bytes` into chunks of `size` and writes them one by one (a frame split at any byte). */
export async function sendChunked(c: RawClient, bytes: Uint8Array, size: number): Promise<void> {
  for (let i = 0; i < bytes.length; i += size) {
    c.send(bytes.subarray(i, i + size));
    if (size < 64) await new Promise<void>((resolve) => setImmediate(resolve));
  }
}

/** Deterministic pseudo-random bytes (a fixed LCG), so big-message cases are reproducible. */
export function pseudoRandomBytes(length: number, seed = 1): Buffer {
  const out = Buffer.allocUnsafe(length);
  let x = seed >>> 0;
  for (let i = 0; i < length; i++) {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

/** `length` bytes of printable ASCII (valid UTF-8 text). */
export function asciiText(length: number): Buffer {
  const out = Buffer.allocUnsafe(length);
  for (let i = 0; i < length; i++) out[i] = 0x20 + (i % 95);
  return out;
}

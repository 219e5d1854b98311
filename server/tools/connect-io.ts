/**
 * What both modes of `tandem connect` share: where lines come from and output goes, the socket
 * options the flags ask for, and how bytes and errors are printed.
 */
import { createInterface } from 'node:readline';
import { Buffer } from 'node:buffer';
import type { NodeWebSocketOptions } from '../../client/node/options.js';
import type { ConnectArgs } from './connect-args.js';

/** Where `connect` reads lines and writes its output. */
export interface ConnectIo {
  out(text: string): void;
  err(text: string): void;
  /** The lines to send (stdin). */
  readonly input: NodeJS.ReadableStream;
  /** A terminal: print a hint on open. */
  readonly interactive: boolean;
}

/** The Node WebSocket options the flags ask for. */
export function socketOptions(args: ConnectArgs): NodeWebSocketOptions {
  return { headers: args.headers, perMessageDeflate: args.deflate, ...(args.insecure ? { rejectUnauthorized: false } : {}) };
}

/** Shows bytes as hex, the first 64 of them. */
export function hex(bytes: Uint8Array): string {
  const shown = Buffer.from(bytes.buffer, bytes.byteOffset, Math.min(bytes.length, 64)).toString('hex');
  return bytes.length > 64 ? `${shown}…` : shown;
}

/** How an error is printed: its code (HandshakeError, ProtocolError, Node errors) and message. */
export function describeError(err: unknown): string {
  const e = err as { code?: unknown; message?: unknown };
  return typeof e.code === 'string' ? `${e.code}: ${String(e.message)}` : String(e.message ?? err);
}

/**
 * Feeds input lines to `onLine` in order, one at a time; `onEnd` runs after the last. Lines
 * arriving while `onLine` works (e.g. before the connection opened) wait their turn.
 */
export function readLines(input: NodeJS.ReadableStream, onLine: (line: string) => Promise<void> | void, onEnd: () => void): () => void {
  const rl = createInterface({ input, terminal: false, crlfDelay: Infinity });
  let chain: Promise<void> = Promise.resolve();
  rl.on('line', (line) => void (chain = chain.then(() => onLine(line))));
  rl.on('close', () => void chain.then(onEnd));
  return () => rl.close();
}

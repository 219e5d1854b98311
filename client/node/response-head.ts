/**
 * Reads the head of the server's HTTP/1.1 answer to the upgrade request: status line and header
 * fields (RFC 9112 §4-5), into the lowercase header record the upgrade rules take. Whatever the
 * server sends, the outcome is a head or an `ERR_INVALID_HTTP_RESPONSE`, never an exception,
 * and the bytes held are bounded.
 */
import { Buffer } from 'node:buffer';
import { ErrorCodes } from '../../src/errors.js';
import { isToken } from '../../src/rfc6455/http-token.js';
import { HandshakeError } from '../../src/rfc6455/upgrade-client.js';

/** The parsed head of a response. */
export interface ResponseHead {
  readonly status: number;
  readonly statusText: string;
  /** Lowercase names; a field sent several times holds every value, in order. */
  readonly headers: Record<string, string | string[]>;
}

const CRLFCRLF = Buffer.from('\r\n\r\n');

/**
 * Accumulates response bytes until the blank line that ends the head. `push` answers `undefined`
 * (need more), the head and the bytes after it (the first frames, or the start of a body), or an
 * error once the head is malformed or longer than `maxBytes`.
 */
export class ResponseHeadReader {
  readonly #maxBytes: number;
  #chunks: Buffer[] = [];
  #length = 0;

  constructor(maxBytes: number) {
    this.#maxBytes = maxBytes;
  }

  push(chunk: Buffer): { head: ResponseHead; rest: Buffer } | HandshakeError | undefined {
    // Search only from where the terminator could start, so dribbled bytes cost linear time.
    const searchFrom = Math.max(0, this.#length - 3);
    this.#chunks.push(chunk);
    this.#length += chunk.length;
    const all = this.#chunks.length === 1 ? chunk : Buffer.concat(this.#chunks, this.#length);
    this.#chunks = [all];
    const end = all.indexOf(CRLFCRLF, searchFrom);
    if (end === -1) {
      if (this.#length > this.#maxBytes) return invalid(`The response head is longer than ${this.#maxBytes} bytes`);
      return undefined;
    }
    if (end + 4 > this.#maxBytes) return invalid(`The response head is longer than ${this.#maxBytes} bytes`);
    const head = parseResponseHead(all.toString('latin1', 0, end));
    this.#chunks = [];
    return head instanceof HandshakeError ? head : { head, rest: all.subarray(end + 4) };
  }
}

/** Parses a response head (without its final CRLF CRLF). */
export function parseResponseHead(text: string): ResponseHead | HandshakeError {
  const lines = text.split('\r\n');
  const statusLine = lines[0] ?? '';
  // RFC 9112 §4: status-line = HTTP-version SP status-code SP [ reason-phrase ]; a 101 needs HTTP/1.1.
  const match = /^HTTP\/1\.1 ([1-9][0-9]{2})(?: ([^\r\n\0]*))?$/.exec(statusLine);
  if (match === null) return invalid(`Invalid status line ${JSON.stringify(statusLine.slice(0, 64))}`);
  const headers: Record<string, string | string[]> = {};
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!;
    const colon = line.indexOf(':');
    const name = colon === -1 ? '' : line.slice(0, colon);
    // RFC 9112 §5: field-name is a token, no whitespace before the colon; obs-fold is refused (§5.2).
    if (!isToken(name)) return invalid(`Invalid header line ${JSON.stringify(line.slice(0, 64))}`);
    const value = line.slice(colon + 1).trim();
    if (/[\0\r\n]/.test(value)) return invalid(`Invalid value of header ${name}`);
    const key = name.toLowerCase();
    const previous = headers[key];
    if (previous === undefined) headers[key] = value;
    else if (typeof previous === 'string') headers[key] = [previous, value];
    else previous.push(value);
  }
  return { status: Number(match[1]), statusText: match[2] ?? '', headers };
}

function invalid(message: string): HandshakeError {
  return new HandshakeError(ErrorCodes.InvalidHttpResponse, message);
}

/**
 * The generic `Sec-WebSocket-Extensions` scanner (RFC 6455 §9.1): a header value in, a list of
 * extensions with their parameters out, and back. Negotiation of a particular extension lives
 * elsewhere (permessage-deflate-params.ts).
 *
 * Pure: strings in, values out. The parser is a single left-to-right scan (no regular
 * expressions), so its cost is linear in the header length whatever a peer sends.
 */
import { ErrorCodes, TandemError } from '../errors.js';
import { isTchar, isToken } from './http-token.js';

/** One `name[=value]` parameter; `value` is `true` when the parameter has no value. */
export interface ExtensionParam {
  /** Parameter name, lower-cased. */
  readonly name: string;
  /** The value (quoted-string already unescaped), or `true` for a bare parameter. */
  readonly value: string | true;
}

/** One element of the extension list: an offer (request) or an acceptance (response). */
export interface Extension {
  /** Extension token, lower-cased, e.g. `permessage-deflate`. */
  readonly name: string;
  /** Parameters in header order; duplicates are kept so negotiation can refuse them. */
  readonly params: readonly ExtensionParam[];
}

/** The header is not a valid extension list; a server answers 400, a client fails the connection. */
export class ExtensionHeaderError extends TandemError {
  /** Offset in the (joined) header value where parsing stopped. */
  readonly index: number;

  constructor(message: string, index: number) {
    super(ErrorCodes.InvalidExtensionHeader, `Invalid Sec-WebSocket-Extensions at ${index}: ${message}`);
    this.index = index;
  }
}

const [SP, HTAB, COMMA, SEMICOLON, EQUALS, DQUOTE, BACKSLASH] = [0x20, 0x09, 0x2c, 0x3b, 0x3d, 0x22, 0x5c] as const;

/** Cursor over one header value. Each read consumes exactly what it recognises, or throws. */
class HeaderScanner {
  pos = 0;

  constructor(readonly text: string) {}

  get done(): boolean {
    return this.pos >= this.text.length;
  }

  peek(): number {
    return this.text.charCodeAt(this.pos);
  }

  fail(message: string): never {
    throw new ExtensionHeaderError(message, this.pos);
  }

  /** RFC 7230 §3.2.3: OWS = *( SP / HTAB ). */
  skipOws(): void {
    while (!this.done && (this.peek() === SP || this.peek() === HTAB)) this.pos++;
  }

  readToken(what: string): string {
    const start = this.pos;
    while (!this.done && isTchar(this.peek())) this.pos++;
    if (this.pos === start) this.fail(`expected ${what}`);
    return this.text.slice(start, this.pos);
  }

  /** RFC 7230 §3.2.6 quoted-string; RFC 6455 §9.1: its unescaped value MUST be a token. */
  readQuoted(): string {
    const start = this.pos;
    this.pos++; // opening DQUOTE
    let value = '';
    for (;;) {
      if (this.done) this.fail('unterminated quoted-string');
      const c = this.peek();
      if (c === DQUOTE) break;
      if (c === BACKSLASH) this.pos++;
      if (this.done) this.fail('unterminated quoted-string');
      const d = this.peek();
      // qdtext / quoted-pair allow HTAB, SP, VCHAR and obs-text; anything else is a control character.
      if (d !== HTAB && (d < 0x20 || d === 0x7f || d > 0xff)) this.fail('control character in quoted-string');
      value += this.text[this.pos];
      this.pos++;
    }
    this.pos++; // closing DQUOTE
    if (!isToken(value)) throw new ExtensionHeaderError('quoted value is not a token', start);
    return value;
  }

  readParam(): ExtensionParam {
    const name = this.readToken('parameter name').toLowerCase();
    this.skipOws();
    if (this.done || this.peek() !== EQUALS) return { name, value: true };
    this.pos++;
    this.skipOws();
    const value = !this.done && this.peek() === DQUOTE ? this.readQuoted() : this.readToken('parameter value');
    this.skipOws();
    return { name, value };
  }

  readExtension(): Extension {
    const name = this.readToken('extension name').toLowerCase();
    const params: ExtensionParam[] = [];
    this.skipOws();
    while (!this.done && this.peek() === SEMICOLON) {
      this.pos++;
      this.skipOws();
      params.push(this.readParam());
    }
    if (!this.done && this.peek() !== COMMA) this.fail('expected "," or ";"');
    return { name, params };
  }
}

/**
 * Parses a `Sec-WebSocket-Extensions` value (several header lines may be passed as an array:
 * RFC 7230 §3.2.2 makes them one comma-separated list). Names are lower-cased; empty list
 * elements are ignored (RFC 7230 §7). An absent or blank header yields `[]`.
 *
 * @throws {ExtensionHeaderError} on any syntax error.
 */
export function parseExtensionHeader(value: string | readonly string[] | undefined): Extension[] {
  if (value === undefined) return [];
  const scanner = new HeaderScanner(typeof value === 'string' ? value : value.join(','));
  const extensions: Extension[] = [];
  for (;;) {
    scanner.skipOws();
    if (scanner.done) return extensions;
    if (scanner.peek() === COMMA) {
      scanner.pos++;
      continue;
    }
    extensions.push(scanner.readExtension());
  }
}

/** Formats one extension for a header: `name; param; param=value` (values here are always tokens). */
export function formatExtension(extension: Extension): string {
  let out = extension.name;
  for (const param of extension.params) {
    out += param.value === true ? `; ${param.name}` : `; ${param.name}=${param.value}`;
  }
  return out;
}

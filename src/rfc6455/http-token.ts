/**
 * The HTTP `token` grammar (RFC 9110 §5.6.2), shared by the handshake's header checks
 * (subprotocols, header names) and the extension header scanner.
 */

// RFC 9110 §5.6.2: tchar = "!" / "#" / "$" / "%" / "&" / "'" / "*" / "+" / "-" / "." / "^" / "_" / "`" / "|" / "~" / DIGIT / ALPHA
const TCHAR = new Uint8Array(128);
for (const ch of "!#$%&'*+-.^_`|~") TCHAR[ch.charCodeAt(0)] = 1;
for (let c = 0x30; c <= 0x39; c++) TCHAR[c] = 1;
for (let c = 0x41; c <= 0x5a; c++) TCHAR[c] = 1;
for (let c = 0x61; c <= 0x7a; c++) TCHAR[c] = 1;

/** Is the UTF-16 code unit `c` a `tchar`? */
export function isTchar(c: number): boolean {
  return c < 128 && TCHAR[c] === 1;
}

/** Is `s` a `token` (one or more tchar)? RFC 9110 §5.6.2: `token = 1*tchar`. */
export function isToken(s: string): boolean {
  if (s.length === 0) return false;
  for (let i = 0; i < s.length; i++) {
    if (!isTchar(s.charCodeAt(i))) return false;
  }
  return true;
}

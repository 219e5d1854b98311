/**
 * HTTP header fields as the upgrade rules see them: a plain record of lowercase names, the shape
 * Node's `IncomingMessage.headers`, HTTP/2 header objects and the Node client's parser all give,
 * plus the list helpers (RFC 9110 §5.6.1) the rules need. Linear time, no regular expressions,
 * so a hostile header costs what it weighs.
 */

/**
 * Header fields by lowercase name. A field received several times is either already joined with
 * `, ` (as Node does for most) or an array of its values (both mean the same list).
 */
export type HeaderRecord = Readonly<Record<string, string | readonly string[] | undefined>>;

/** The value of `name` (lowercase) as one string; repeated fields joined as one list (RFC 9110 §5.3). */
export function headerValue(headers: HeaderRecord, name: string): string | undefined {
  const value = headers[name];
  if (value === undefined || typeof value === 'string') return value;
  return value.length === 0 ? undefined : value.join(', ');
}

/**
 * Splits a comma-separated header list (RFC 9110 §5.6.1) into trimmed elements, keeping empty
 * ones so callers can reject them.
 */
export function splitHeaderList(value: string): string[] {
  const parts = value.split(',');
  for (let i = 0; i < parts.length; i++) parts[i] = trimOws(parts[i] ?? '');
  return parts;
}

/** Does the comma-separated list `value` contain `token` (ASCII case-insensitive)? */
export function headerHasToken(value: string | undefined, token: string): boolean {
  if (value === undefined) return false;
  const wanted = token.toLowerCase();
  for (const part of splitHeaderList(value)) if (part.toLowerCase() === wanted) return true;
  return false;
}

/** A header value that cannot split a response or request (no CR, LF or NUL). */
export function isSafeHeaderValue(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c === 0x0d || c === 0x0a || c === 0x00) return false;
  }
  return true;
}

function trimOws(s: string): string {
  let start = 0;
  let end = s.length;
  while (start < end && isOws(s.charCodeAt(start))) start++;
  while (end > start && isOws(s.charCodeAt(end - 1))) end--;
  return s.slice(start, end);
}

// RFC 9110 §5.6.3: OWS = *( SP / HTAB )
function isOws(c: number): boolean {
  return c === 0x20 || c === 0x09;
}

/**
 * `createClient(url, options)` checks its arguments before anything starts: a URL that cannot be
 * a WebSocket URL, or an option of the wrong type or range, throws a `TypeError` with a `code`
 * naming the culprit, instead of retrying forever or misbehaving later.
 */
import { ErrorCodes, TandemTypeError } from '../src/errors.js';
import { SHARED_KINDS, invalidOption, optionChecker, withMethods } from '../src/option-checks.js';
import type { Check, Rules } from '../src/option-checks.js';

type ClientRules = Rules<keyof typeof SHARED_KINDS>;
import type { UrlSource } from './options.js';

const SCOPE = 'createClient';

// The shared kinds only: the server's (ports, booleans…) stay out of the browser bundle.
const checkOptions = optionChecker(SHARED_KINDS);

const eventTarget = withMethods('addEventListener', 'removeEventListener');

const CLIENT_RULES: ClientRules = {
  WebSocket: 'fn',
  protocols: (v) => (typeof v === 'string' || (Array.isArray(v) && v.every((p) => typeof p === 'string')) ? undefined : 'a string or an array of strings'),
  reconnect: 'falseOrObj',
  heartbeat: 'falseOrObj',
  connectTimeout: 'ms',
  maxQueued: 'int0',
  requestTimeout: 'ms',
  schemas: 'obj',
  codec: withMethods('encode', 'decode'),
  scheduler: withMethods('now', 'setTimeout', 'clearTimeout'),
  random: 'fn',
  network: ((v) => (v === null || eventTarget(v) === undefined ? undefined : `null or ${eventTarget(v) as string}`)) as Check,
};

const RECONNECT_RULES: ClientRules = {
  minDelay: 'ms0',
  maxDelay: 'ms0',
  factor: 'ge1',
  maxRetries: 'int0inf',
  resetAfter: 'ms0',
  restartWindow: 'ms0',
  isFatal: 'fn',
};

const HEARTBEAT_RULES: ClientRules = { interval: 'ms', timeout: 'ms' };

/** Throws for a bad option of `createClient` (code `ERR_INVALID_ARGUMENT`, the option named). */
export function validateClientOptions(options: unknown): void {
  if (options === undefined) return;
  checkOptions(SCOPE, options, CLIENT_RULES);
  const { reconnect, heartbeat } = options as { reconnect?: unknown; heartbeat?: unknown };
  if (reconnect) {
    checkOptions(SCOPE, reconnect, RECONNECT_RULES, 'reconnect.');
    const { minDelay, maxDelay } = reconnect as { minDelay?: number; maxDelay?: number };
    if (minDelay !== undefined && maxDelay !== undefined && maxDelay < minDelay) {
      invalidOption(SCOPE, 'reconnect.maxDelay', `≥ reconnect.minDelay (${minDelay})`, maxDelay);
    }
  }
  if (heartbeat) checkOptions(SCOPE, heartbeat, HEARTBEAT_RULES, 'heartbeat.');
}

function pageUrl(): string | undefined {
  const href = (globalThis as { location?: { href?: unknown } }).location?.href;
  return typeof href === 'string' ? href : undefined;
}

const SCHEME = /^[a-z][a-z0-9+.-]*:/i;

/**
 * The absolute `ws:`/`wss:` URL for `input`, or a `TypeError` (code `ERR_INVALID_URL`). As the
 * browser's `WebSocket` does, a relative URL is resolved against the page (and its `http(s):`
 * becomes `ws(s):`); without a page (Node) it must be absolute. An explicit other scheme
 * (`http://…`, `localhost:9301`) is refused: it is a mistake, not something to retry.
 */
export function webSocketUrl(input: string | URL, scope = SCOPE): string {
  // Not `instanceof URL`: a URL from another realm (jsdom, an iframe) is just as good.
  if (typeof input !== 'string' && !(typeof input === 'object' && input !== null && typeof (input as URL).href === 'string')) {
    throw new TandemTypeError(ErrorCodes.InvalidUrl, `${scope}: url must be a string, a URL or a function, got ${typeof input}`);
  }
  const text = String(input);
  const base = SCHEME.test(text) ? undefined : pageUrl();
  let url: URL;
  try {
    url = new URL(text, base);
  } catch (cause) {
    throw new TandemTypeError(ErrorCodes.InvalidUrl, `${scope}: invalid URL ${JSON.stringify(text)} (expected ws://host:port/path or wss://…)`, { cause });
  }
  if (base !== undefined && (url.protocol === 'http:' || url.protocol === 'https:')) url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  if (url.protocol !== 'ws:' && url.protocol !== 'wss:') {
    throw new TandemTypeError(ErrorCodes.InvalidUrl, `${scope}: URL ${JSON.stringify(text)} has scheme "${url.protocol}"; use ws:// or wss://`);
  }
  return url.href;
}

/** Checks a fixed URL at once; a function is checked per attempt (its value may change). */
export function checkUrlSource(url: UrlSource): void {
  if (typeof url !== 'function') webSocketUrl(url);
}

/**
 * The arguments of `tandem connect <url>`, parsed into one value (usage mistakes are
 * `UsageError`s, printed with the usage text by the CLI).
 */

import { UsageError } from './usage-error.js';

/** Parsed `connect` arguments. */
export interface ConnectArgs {
  readonly url: string;
  /** Extra request headers, from `--header "Name: value"` (repeatable). */
  readonly headers: Readonly<Record<string, string>>;
  /** Offered subprotocols, from `--subprotocol` (repeatable). */
  readonly protocols: readonly string[];
  /** Offer permessage-deflate. */
  readonly deflate: boolean;
  /** `wss:` without certificate verification. */
  readonly insecure: boolean;
  /** Speak Tandem's envelope protocol (hello, events, requests) instead of raw messages. */
  readonly tandem: boolean;
  /** `--tandem`: the hello's credentials (JSON). */
  readonly auth: unknown;
  /** After the input ends, keep printing what arrives this long before closing (ms). */
  readonly wait: number;
}

const VALUED = new Set(['--header', '-H', '--subprotocol', '-s', '--auth', '--wait']);

/** Parses `connect`'s arguments (after the command name). Throws {@link UsageError}. */
export function parseConnectArgs(args: readonly string[]): ConnectArgs {
  let url: string | undefined;
  const headers: Record<string, string> = {};
  const protocols: string[] = [];
  let deflate = false;
  let insecure = false;
  let tandem = false;
  let auth: unknown;
  let wait = 0;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (VALUED.has(arg)) {
      const value = args[++i];
      if (value === undefined) throw new UsageError(`${arg} needs a value`);
      if (arg === '--header' || arg === '-H') {
        const colon = value.indexOf(':');
        if (colon <= 0) throw new UsageError(`--header must be "Name: value", got ${JSON.stringify(value)}`);
        headers[value.slice(0, colon).trim()] = value.slice(colon + 1).trim();
      } else if (arg === '--subprotocol' || arg === '-s') {
        protocols.push(value);
      } else if (arg === '--auth') {
        auth = parseJson('--auth', value);
      } else {
        wait = Number(value);
        if (!/^\d+$/.test(value)) throw new UsageError(`invalid --wait ${value}`);
      }
    } else if (arg === '--deflate') {
      deflate = true;
    } else if (arg === '--insecure' || arg === '-k') {
      insecure = true;
    } else if (arg === '--tandem') {
      tandem = true;
    } else if (arg.startsWith('-')) {
      throw new UsageError(`unknown option ${arg}`);
    } else if (url === undefined) {
      url = arg;
    } else {
      throw new UsageError(`unexpected argument ${arg}`);
    }
  }
  if (url === undefined) throw new UsageError('connect needs a URL');
  if (auth !== undefined && !tandem) throw new UsageError('--auth needs --tandem');
  return { url, headers, protocols, deflate, insecure, tandem, auth, wait };
}

/** Parses a JSON argument; a command line mistake is a UsageError. */
export function parseJson(what: string, text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new UsageError(`${what} is not valid JSON: ${text}`);
  }
}

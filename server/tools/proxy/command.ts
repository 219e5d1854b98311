/**
 * `tandem proxy …`: the command-line face of {@link createProxy}. Prints exactly
 * `listening <port>` on stdout once ready (like `tandem echo`); the seed and every cut go to
 * stderr, so a run can be repeated with `--seed`.
 */
import { createProxy } from './proxy.js';
import type { FaultProxy } from './proxy.js';
import { resolveProxyOptions } from './options.js';
import type { ProxyOptions } from './options.js';
import { parseSize, parseTime, parseTimeRange, ProxyOptionError } from './units.js';

/** `tandem proxy --help`. */
export const PROXY_USAGE = `Usage: tandem proxy --listen [host:]<port> --target <host>:<port> [faults]

A TCP proxy that injects network faults, to test how a WebSocket app reconnects and resumes.
Prints "listening <port>" once ready; the seed and each cut are logged on stderr.

Options:
  --listen [host:]<port>         where to listen (host 127.0.0.1 unless given; port 0 = any free port)
  --target <host>:<port>         where to forward every connection
  --cut-after <t> | <t>-<t>      reset each connection after a fixed time, or a random one in a range
  --cut-every-bytes <n>          reset a connection once n bytes passed in one direction
  --latency <t>                  delay every chunk by t
  --jitter <t>                   plus a random 0..t per chunk (order kept within a direction)
  --bandwidth <n>                limit the throughput to n bytes per second
  --blackhole up|down|both       swallow a direction's bytes; the connection stays open (half-open)
  --blackhole-after <t> | <t>-<t>  start the black hole after this time (default: at once)
  --seed <n>                     seed of the random times (0 to 4294967295): same seed, same schedule
  --max-buffered <n>             bytes held per direction before reading pauses (default 1mb)
  -h, --help                     show this help

--cut-every-bytes, --latency, --jitter and --bandwidth also take -up (client to target) or -down
(target to client), e.g. --latency-down 200ms; without a suffix they apply to both directions.
A cut resets both sockets (TCP RST): the app sees a dropped link, no FIN and no close frame.
Times: 500ms, 2s, 1m (a bare number is ms). Sizes: 1500, 64kb, 1mb (1kb = 1024 bytes).

Examples:
  tandem proxy --listen 9000 --target 127.0.0.1:8080 --cut-after 1s-5s --seed 42
  tandem proxy --listen 9000 --target 127.0.0.1:8080 --latency 50ms --jitter 20ms --bandwidth 64kb
  tandem proxy --listen 9000 --target 127.0.0.1:8080 --blackhole down --blackhole-after 10s
`;

/** Output streams (the CLI's `CliIo`). */
export interface ProxyIo {
  out(text: string): void;
  err(text: string): void;
}

type Parse = (text: string, flag: string) => unknown;
const asText: Parse = (text) => text;
const parseSeed: Parse = (text, flag) => {
  if (!/^\d+$/.test(text)) throw new ProxyOptionError(flag, `expected an integer from 0 to 4294967295, got "${text}"`);
  return Number(text);
};

/** Flag → option key (`up.latency` for a direction's override) and value parser. */
const FLAGS = new Map<string, readonly [string, Parse]>([
  ['--listen', ['listen', asText]],
  ['--target', ['target', asText]],
  ['--cut-after', ['cutAfter', parseTimeRange]],
  ['--blackhole', ['blackhole', asText]],
  ['--blackhole-after', ['blackholeAfter', parseTimeRange]],
  ['--seed', ['seed', parseSeed]],
  ['--max-buffered', ['maxBuffered', parseSize]],
]);
for (const [key, parse] of [['cutEveryBytes', parseSize], ['latency', parseTime], ['jitter', parseTime], ['bandwidth', parseSize]] as const) {
  FLAGS.set(flagOf(key), [key, parse]);
  FLAGS.set(flagOf(`up.${key}`), [`up.${key}`, parse]);
  FLAGS.set(flagOf(`down.${key}`), [`down.${key}`, parse]);
}

/** The flag of an option key: `cutAfter` → `--cut-after`, `up.latency` → `--latency-up`. */
export function flagOf(key: string): string {
  const [first, second] = key.split('.') as [string, string | undefined];
  const kebab = (name: string): string => name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
  return second === undefined ? `--${kebab(first)}` : `--${kebab(second)}-${first}`;
}

/**
 * Parses and validates `tandem proxy`'s arguments (after the command name) into
 * {@link ProxyOptions}. Throws {@link ProxyOptionError} naming the flag.
 */
export function parseProxyArgs(args: readonly string[]): ProxyOptions {
  const options: Record<string, unknown> = {};
  const directions: Record<'up' | 'down', Record<string, unknown>> = { up: {}, down: {} };
  const seen = new Set<string>();
  for (let i = 0; i < args.length; i++) {
    const flag = args[i]!;
    const known = FLAGS.get(flag);
    if (known === undefined) throw new ProxyOptionError(flag, 'unknown option');
    if (seen.has(flag)) throw new ProxyOptionError(flag, 'given twice');
    seen.add(flag);
    const text = args[++i];
    if (text === undefined || text.startsWith('--')) throw new ProxyOptionError(flag, 'needs a value');
    const [key, parse] = known;
    const [direction, name] = key.split('.') as [string, string | undefined];
    if (name === undefined) options[key] = parse(text, flag);
    else directions[direction as 'up' | 'down'][name] = parse(text, flag);
  }
  for (const required of ['--listen', '--target']) {
    if (!seen.has(required)) throw new ProxyOptionError(required, 'is required');
  }
  if (Object.keys(directions.up).length > 0) options['up'] = directions.up;
  if (Object.keys(directions.down).length > 0) options['down'] = directions.down;
  resolveProxyOptions(options as unknown as ProxyOptions, flagOf);
  return options as unknown as ProxyOptions;
}

/**
 * Runs `tandem proxy`: resolves to an exit code (0 for --help, 2 for a usage error, 1 when it
 * cannot listen) or to the running proxy.
 */
export async function proxyCommand(args: readonly string[], io: ProxyIo): Promise<number | FaultProxy> {
  if (args.includes('--help') || args.includes('-h')) {
    io.out(PROXY_USAGE);
    return 0;
  }
  let options: ProxyOptions;
  try {
    options = parseProxyArgs(args);
  } catch (err) {
    if (!(err instanceof ProxyOptionError)) throw err;
    io.err(`tandem proxy: ${err.message}\nRun "tandem proxy --help" for the options.\n`);
    return 2;
  }
  let proxy: FaultProxy;
  try {
    proxy = await createProxy(options);
  } catch (err) {
    io.err(`tandem proxy: cannot listen: ${(err as Error).message}\n`);
    return 1;
  }
  const { target } = proxy.options;
  io.out(`listening ${proxy.port}\n`);
  io.err(`tandem proxy: ${proxy.host}:${proxy.port} -> ${target.host}:${target.port}, seed ${proxy.seed}\n`);
  proxy.on('cut', (cut) => io.err(`tandem proxy: cut #${cut.id} (${cut.reason}${cut.direction ? ` ${cut.direction}` : ''}) after ${cut.after}ms\n`));
  proxy.on('close', (connection, error) => {
    if (error !== undefined && (error as NodeJS.ErrnoException).syscall === 'connect') {
      io.err(`tandem proxy: #${connection.id} cannot reach the target: ${error.message}\n`);
    }
  });
  proxy.on('error', (err) => io.err(`tandem proxy: ${err.message}\n`));
  return proxy;
}

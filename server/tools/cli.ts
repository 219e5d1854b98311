/**
 * `tandem` command line (run through bin/tandem.mjs on the built package).
 *
 *   tandem echo --port <n> [--host <h>] [--deflate]
 *   tandem proxy --listen [host:]<port> --target <host>:<port> [faults]   (see proxy/command.ts)
 *   tandem connect <url> [--header "Name: value"]… [--subprotocol <p>]… [--deflate] [--insecure] [--tandem [--auth <json>]] [--wait <ms>]
 *
 * An echo server for conformance and load tools: text comes back as text, binary as binary,
 * pings are answered by the engine. Prints exactly `listening <port>` (the real port, so
 * `--port 0` works) once ready; SIGINT/SIGTERM close every connection with 1001 and exit.
 * A peer that sends faster than it reads its echoes is not read from while its echoes are
 * backed up (pause until `drain`), so the server's memory stays bounded.
 */
import { WebSocketServer } from '../socket/websocket-server.js';
import type { WebSocketServerOptions } from '../socket/websocket-server.js';
import type { ServerConnection } from '../socket/server-connection.js';
import { proxyCommand } from './proxy/command.js';
import { FaultProxy } from './proxy/proxy.js';
import { UsageError } from './usage-error.js';
import { parseConnectArgs } from './connect-args.js';
import type { ConnectArgs } from './connect-args.js';
import { connect } from './connect.js';

/** The usage text printed by `--help` and on usage errors. */
export const USAGE = `Usage: tandem echo --port <n> [--host <host>] [--deflate]
       tandem connect <url> [options]
       tandem proxy --listen [host:]<port> --target <host>:<port> [faults]

Commands:
  echo      WebSocket echo server (text as text, binary as binary); prints "listening <port>"
  connect   WebSocket client: prints what arrives, sends each input line as a text message
            (/ping [text], /pong [text], /binary <hex>, /close [code [reason]]); closes when
            the input ends, so it also runs from a pipe
  proxy     fault-injection TCP proxy (cuts, latency, bandwidth, black holes); see tandem proxy --help

echo options:
  --port <n>     port to listen on, 0 for any free port (required)
  --host <host>  interface to listen on (default: all interfaces)
  --deflate      accept permessage-deflate (RFC 7692) with the default options

connect options:
  -H, --header "Name: value"   add a request header (repeatable)
  -s, --subprotocol <p>        offer a subprotocol (repeatable)
  --deflate                    offer permessage-deflate
  -k, --insecure               wss: do not verify the server's certificate
  --tandem                     speak Tandem's envelope protocol: lines are
                               emit <name> [json], request <name> [json], close [code [reason]]
  --auth <json>                with --tandem: the hello's credentials
  --wait <ms>                  after the input ends, keep printing this long before closing

  -h, --help     show this help
`;

/** Defaults of the CLI. */
export const DEFAULTS = Object.freeze({
  /** After a signal, connections still open this long are terminated. @default 2000 */
  shutdownGraceMs: 2000,
  /**
   * Echoes waiting for a peer (`bufferedAmount`) at which the server stops reading from it until
   * `drain`; at least the socket's high-water mark, so a `drain` always follows. @default 1048576 (1 MiB)
   */
  echoHighWaterMark: 1024 * 1024,
});

/** Parsed `echo` arguments. */
export interface EchoArgs {
  readonly port: number;
  readonly host: string | undefined;
  readonly deflate: boolean;
}

export { UsageError };

/** Parses `echo`'s arguments (after the command name). Throws {@link UsageError}. */
export function parseEchoArgs(args: readonly string[]): EchoArgs {
  let port: number | undefined;
  let host: string | undefined;
  let deflate = false;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--deflate') {
      deflate = true;
    } else if (arg === '--port' || arg === '--host') {
      const value = args[++i];
      if (value === undefined || value.startsWith('--')) throw new UsageError(`${arg} needs a value`);
      if (arg === '--host') host = value;
      else port = parsePort(value);
    } else {
      throw new UsageError(`unknown option ${arg}`);
    }
  }
  if (port === undefined) throw new UsageError('--port is required');
  return { port, host, deflate };
}

function parsePort(value: string): number {
  const port = Number(value);
  if (!/^\d+$/.test(value) || port > 65535) throw new UsageError(`invalid port ${value}`);
  return port;
}

/** Makes `wss` echo every message back with its type. */
export function echo(wss: WebSocketServer): void {
  wss.on('connection', onEchoConnection);
}

function onEchoConnection(ws: ServerConnection): void {
  ws.on('message', echoMessage, ws);
}

// Shared by every connection (`this` is the connection): an idle connection owns no closure.
function echoMessage(this: ServerConnection, data: Buffer, isBinary: boolean): void {
  this.send(data, { binary: isBinary });
  // Slow reader: stop reading until its echoes are out; 'drain' follows once bufferedAmount is
  // back under the socket's high-water mark (docs/server.md, "Slow readers").
  if (this.bufferedAmount >= DEFAULTS.echoHighWaterMark && !this.isPaused) {
    this.pause();
    this.once('drain', this.resume, this);
  }
}

/** Starts an echo server and resolves once it listens. */
export function startEchoServer(options: Pick<WebSocketServerOptions, 'port' | 'host'> & Omit<WebSocketServerOptions, 'server' | 'noServer'>): Promise<WebSocketServer> {
  return new Promise((resolve, reject) => {
    const wss = new WebSocketServer(options);
    echo(wss);
    wss.once('error', reject);
    wss.once('listening', () => {
      wss.off('error', reject);
      resolve(wss);
    });
  });
}

/** Output streams of {@link main} (and, for `connect`, its input), injectable for tests. */
export interface CliIo {
  out(text: string): void;
  err(text: string): void;
  /** `connect`'s lines. @default process.stdin */
  readonly input?: NodeJS.ReadableStream;
  /** Is the input a terminal? @default process.stdin.isTTY */
  readonly interactive?: boolean;
}

const processIo: CliIo = {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
  get input() {
    return process.stdin;
  },
  get interactive() {
    return process.stdin.isTTY === true;
  },
};

/**
 * Runs the CLI. Resolves to the exit code for usage errors, help and `connect` (once closed);
 * for `echo` it resolves to the running server (the process then lives until a signal).
 */
export async function main(argv: readonly string[], io: CliIo = processIo): Promise<number | WebSocketServer | FaultProxy> {
  const [command, ...rest] = argv;
  if (command === 'proxy') return proxyCommand(rest, io);
  if (command === undefined || command === '-h' || command === '--help' || rest.includes('--help') || rest.includes('-h')) {
    (command === undefined ? io.err : io.out)(USAGE);
    return command === undefined ? 2 : 0;
  }
  if (command === 'connect') return runConnect(rest, io);
  if (command !== 'echo') return usageError(io, `unknown command ${command}`);
  let args: EchoArgs;
  try {
    args = parseEchoArgs(rest);
  } catch (err) {
    return usageError(io, (err as Error).message);
  }
  try {
    const wss = await startEchoServer({ port: args.port, host: args.host, perMessageDeflate: args.deflate });
    const address = wss.address();
    io.out(`listening ${typeof address === 'object' && address !== null ? address.port : args.port}\n`);
    return wss;
  } catch (err) {
    io.err(`tandem: cannot listen: ${(err as Error).message}\n`);
    return 1;
  }
}

/** `connect`: resolves to its exit code once the connection is closed. */
async function runConnect(rest: readonly string[], io: CliIo): Promise<number> {
  let args: ConnectArgs;
  try {
    args = parseConnectArgs(rest);
  } catch (err) {
    return usageError(io, (err as Error).message);
  }
  return connect(args, { out: io.out, err: io.err, input: io.input ?? process.stdin, interactive: io.interactive ?? false });
}

function usageError(io: CliIo, message: string): number {
  io.err(`tandem: ${message}\n\n${USAGE}`);
  return 2;
}

/** Entry point used by bin/tandem.mjs: runs {@link main} and wires exit codes and signals. */
export async function run(argv: readonly string[]): Promise<void> {
  const result = await main(argv);
  if (typeof result === 'number') {
    process.exitCode = result;
    return;
  }
  if (result instanceof FaultProxy) {
    const stop = (): void => void result.close().then(() => process.exit(0));
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    return;
  }
  const shutdown = (): void => {
    result.close(() => process.exit(0));
    // Peers that do not answer the 1001 in time are dropped.
    setTimeout(() => {
      for (const client of result.clients) client.terminate();
    }, DEFAULTS.shutdownGraceMs).unref();
  };
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
}

/**
 * `tandem` command line (run through bin/tandem.mjs on the built package).
 *
 *   tandem echo --port <n> [--host <h>] [--deflate]
 *   tandem proxy --listen [host:]<port> --target <host>:<port> [faults]   (see proxy/command.ts)
 *
 * An echo server for conformance and load tools: text comes back as text, binary as binary,
 * pings are answered by the engine. Prints exactly `listening <port>` (the real port, so
 * `--port 0` works) once ready; SIGINT/SIGTERM close every connection with 1001 and exit.
 */
import { WebSocketServer } from '../socket/websocket-server.js';
import type { WebSocketServerOptions } from '../socket/websocket-server.js';
import type { ServerConnection } from '../socket/server-connection.js';
import { proxyCommand } from './proxy/command.js';
import { FaultProxy } from './proxy/proxy.js';

/** The usage text printed by `--help` and on usage errors. */
export const USAGE = `Usage: tandem echo --port <n> [--host <host>] [--deflate]
       tandem proxy --listen [host:]<port> --target <host>:<port> [faults]

Commands:
  echo   WebSocket echo server (text as text, binary as binary); prints "listening <port>"
  proxy  fault-injection TCP proxy (cuts, latency, bandwidth, black holes); see tandem proxy --help

Options (echo):
  --port <n>     port to listen on, 0 for any free port (required)
  --host <host>  interface to listen on (default: all interfaces)
  --deflate      accept permessage-deflate (RFC 7692) with the default options
  -h, --help     show this help
`;

/** Defaults of the CLI. */
export const DEFAULTS = Object.freeze({
  /** After a signal, connections still open this long are terminated. @default 2000 */
  shutdownGraceMs: 2000,
});

/** Parsed `echo` arguments. */
export interface EchoArgs {
  readonly port: number;
  readonly host: string | undefined;
  readonly deflate: boolean;
}

/** A usage mistake: printed with the usage text, exit code 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

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
  ws.on('message', function (this: ServerConnection, data: Buffer, isBinary: boolean) {
    this.send(data, { binary: isBinary });
  }, ws);
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

/** Output streams of {@link main}, injectable for tests. */
export interface CliIo {
  out(text: string): void;
  err(text: string): void;
}

const processIo: CliIo = {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
};

/**
 * Runs the CLI. Resolves to the exit code for usage errors and help; for `echo` it resolves to
 * the running server (the process then lives until a signal).
 */
export async function main(argv: readonly string[], io: CliIo = processIo): Promise<number | WebSocketServer | FaultProxy> {
  const [command, ...rest] = argv;
  if (command === 'proxy') return proxyCommand(rest, io);
  if (command === undefined || command === '-h' || command === '--help' || rest.includes('--help') || rest.includes('-h')) {
    (command === undefined ? io.err : io.out)(USAGE);
    return command === undefined ? 2 : 0;
  }
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

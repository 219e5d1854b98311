/**
 * `tandem connect --tandem <url>`: the envelope protocol, through the typed client itself
 * (hello with `--auth`, welcome, heartbeat, requests and their answers, no reconnect). Input
 * lines are commands: `emit <name> [json]`, `request <name> [json]`, `close [code [reason]]`.
 * It prints `open`, every event the server sends (`< event <name> <json>`), the server's own
 * requests (`< request <name> <json>`, answered `unknown_method` by the client), the answer to
 * each of ours (`< response <name> <json>` or `< error <name> <code>: <message>`), and
 * `closed <code> <reason>`. When the input ends it waits for its requests' answers, then
 * `--wait` ms, then closes with 1000.
 */
import { WebSocket } from '../../client/node/websocket.js';
import type { MessageEvent } from '../../client/node/events.js';
import { createClient } from '../../client/node/index.js';
import type { CloseInfo, TandemClient, WebSocketConstructor } from '../../client/node/index.js';
import { decodeEnvelope, jsonCodec } from '../../src/codec.js';
import type { Envelope } from '../../src/envelope.js';
import type { NodeWebSocketOptions } from '../../client/node/options.js';
import type { ConnectArgs } from './connect-args.js';
import { parseJson } from './connect-args.js';
import type { ConnectIo } from './connect-io.js';
import { describeError, readLines, socketOptions } from './connect-io.js';
import { UsageError } from './usage-error.js';

/** Any event or request name, any payload: the CLI does not know the server's contract. */
type AnyContract = {
  client: { events: Record<string, unknown>; requests: Record<string, { request: unknown; response: unknown }> };
  server: { events: Record<string, unknown>; requests: Record<string, { request: unknown; response: unknown }> };
};

/** Tandem's WebSocket with these options, also showing every envelope that arrives to `tap`. */
function tappedWebSocket(options: NodeWebSocketOptions, tap: (envelope: Envelope) => void): WebSocketConstructor {
  return class TappedWebSocket extends WebSocket {
    constructor(url: string, protocols?: string | string[]) {
      super(url, protocols, options);
      this.addEventListener('message', (event) => {
        const data = (event as MessageEvent<string | ArrayBuffer>).data;
        const decoded = decodeEnvelope(jsonCodec, typeof data === 'string' ? data : new Uint8Array(data));
        if (decoded.ok) tap(decoded.envelope);
      });
    }
  };
}

/** `name [json]` → the name and the payload (undefined when no JSON follows). */
function nameAndPayload(rest: string): [string, unknown] {
  const space = rest.indexOf(' ');
  const name = space === -1 ? rest : rest.slice(0, space);
  if (name === '') throw new UsageError('a name is needed');
  const json = space === -1 ? '' : rest.slice(space + 1).trim();
  return [name, json === '' ? undefined : parseJson('the payload', json)];
}

/** Runs the `--tandem` session; resolves to the exit code (0 after a 1000/1001/1005 close without error). */
export function connectTandem(args: ConnectArgs, io: ConnectIo): Promise<number> {
  return new Promise((resolve) => {
    const tap = (envelope: Envelope): void => {
      if (envelope.type === 'event') io.out(`< event ${envelope.name} ${JSON.stringify(envelope.payload ?? null)}\n`);
      else if (envelope.type === 'request') io.out(`< request ${envelope.name} ${JSON.stringify(envelope.payload ?? null)}\n`);
    };
    let client: TandemClient<AnyContract>;
    try {
      client = createClient<AnyContract>(args.url, {
        WebSocket: tappedWebSocket(socketOptions(args), tap),
        ...(args.protocols.length > 0 ? { protocols: [...args.protocols] } : {}),
        auth: args.auth,
        reconnect: false,
        network: null,
      });
    } catch (err) {
      io.err(`error ${describeError(err)}\n`);
      return resolve(2);
    }
    const pending = new Set<Promise<unknown>>();
    client.lifecycle.on('open', () => {
      io.out('open\n');
      if (io.interactive) io.err('(commands: emit <name> [json], request <name> [json], close [code [reason]]; Ctrl-D closes)\n');
    });
    client.lifecycle.on('error', (err) => io.err(`error ${describeError(err)}\n`));
    const stop = readLines(
      io.input,
      (line) => run(client, line.trim(), io, pending),
      () => void Promise.allSettled([...pending]).then(() => setTimeout(() => client.close(1000), args.wait)),
    );
    client.lifecycle.on('close', (info: CloseInfo) => {
      io.out(`closed ${info.code}${info.reason === '' ? '' : ` ${info.reason}`}\n`);
      stop();
      resolve(info.error === undefined && [1000, 1001, 1005].includes(info.code) ? 0 : 1);
    });
  });
}

/** One command line. */
function run(client: TandemClient<AnyContract>, line: string, io: ConnectIo, pending: Set<Promise<unknown>>): void {
  if (line === '' || client.state === 'closed') return;
  const space = line.indexOf(' ');
  const verb = space === -1 ? line : line.slice(0, space);
  const rest = space === -1 ? '' : line.slice(space + 1).trim();
  try {
    if (verb === 'emit') {
      const [name, payload] = nameAndPayload(rest);
      return client.emit(name, payload);
    }
    if (verb === 'request') {
      const [name, payload] = nameAndPayload(rest);
      const answer = client.request(name, payload).then(
        (value) => io.out(`< response ${name} ${JSON.stringify(value ?? null)}\n`),
        (err: unknown) => io.out(`< error ${name} ${describeError(err)}\n`),
      );
      pending.add(answer);
      void answer.then(() => pending.delete(answer));
      return;
    }
    if (verb === 'close') {
      const [code, ...reason] = rest === '' ? [] : rest.split(' ');
      return client.close(code === undefined ? 1000 : Number(code), reason.join(' '));
    }
    io.err(`tandem: unknown command ${verb} (emit <name> [json], request <name> [json], close [code [reason]])\n`);
  } catch (err) {
    io.err(`tandem: ${verb}: ${err instanceof UsageError ? err.message : describeError(err)}\n`);
  }
}

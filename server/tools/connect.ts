/**
 * `tandem connect <url>`: an interactive WebSocket client, like wscat, on Tandem's own Node
 * WebSocket. It prints what arrives (`< text`, `< binary <n> bytes <hex>`, `< ping <hex>`,
 * `closed <code> <reason>`) and sends each input line as a text message; lines starting with
 * `/` are commands (`/ping [text]`, `/pong [text]`, `/binary <hex>`, `/close [code [reason]]`,
 * `//…` sends a literal `/…`). With `--tandem` it speaks the envelope protocol instead
 * (connect-tandem.ts). When the input ends (a pipe, or Ctrl-D) it closes with 1000, after
 * `--wait` ms; so it is scriptable: `echo hi | tandem connect ws://…`.
 */
import { Buffer } from 'node:buffer';
import { WebSocket } from '../../client/node/websocket.js';
import type { CloseEvent, ErrorEvent, MessageEvent } from '../../client/node/events.js';
import type { ConnectArgs } from './connect-args.js';
import { describeError, hex, readLines, socketOptions } from './connect-io.js';
import type { ConnectIo } from './connect-io.js';
import { connectTandem } from './connect-tandem.js';

export type { ConnectIo } from './connect-io.js';

/** Runs `tandem connect`; resolves to the exit code once the connection is closed (0: closed cleanly). */
export function connect(args: ConnectArgs, io: ConnectIo): Promise<number> {
  return args.tandem ? connectTandem(args, io) : connectRaw(args, io);
}

function connectRaw(args: ConnectArgs, io: ConnectIo): Promise<number> {
  return new Promise((resolve) => {
    let ws: WebSocket;
    try {
      ws = new WebSocket(args.url, args.protocols, socketOptions(args));
    } catch (err) {
      io.err(`error ${describeError(err)}\n`);
      return resolve(2);
    }
    ws.binaryType = 'nodebuffer';
    const opened = new Promise<boolean>((settle) => {
      ws.addEventListener('open', () => settle(true));
      ws.addEventListener('close', () => settle(false));
    });
    ws.addEventListener('open', () => {
      const details = `${ws.protocol === '' ? '' : ` protocol=${ws.protocol}`}${ws.extensions === '' ? '' : ` extensions=${ws.extensions}`}`;
      io.out(`open${details}\n`);
      if (io.interactive) io.err('(each line is sent as text; /ping, /binary <hex>, /close [code [reason]]; Ctrl-D closes)\n');
    });
    ws.addEventListener('message', (event) => {
      const data = (event as MessageEvent<string | Buffer>).data;
      io.out(typeof data === 'string' ? `< ${data}\n` : `< binary ${data.length} bytes ${hex(data)}\n`);
    });
    for (const type of ['ping', 'pong'] as const) {
      ws.addEventListener(type, (event) => {
        const data = (event as MessageEvent<Buffer>).data;
        io.out(data.length === 0 ? `< ${type}\n` : `< ${type} ${hex(data)}\n`);
      });
    }
    ws.addEventListener('error', (event) => io.err(`error ${describeError((event as ErrorEvent).error)}\n`));
    const stop = readLines(
      io.input,
      async (line) => {
        if (await opened) command(ws, line, io);
      },
      () => void opened.then((open) => open && setTimeout(() => ws.close(1000), args.wait)),
    );
    ws.addEventListener('close', (event) => {
      const { code, reason, wasClean } = event as CloseEvent;
      io.out(`closed ${code}${reason === '' ? '' : ` ${reason}`}\n`);
      stop();
      resolve(wasClean ? 0 : 1);
    });
  });
}

/** One input line in raw mode: a text message, or a `/` command. */
function command(ws: WebSocket, line: string, io: ConnectIo): void {
  if (ws.readyState !== WebSocket.OPEN) return;
  if (!line.startsWith('/') || line.startsWith('//')) return ws.send(line.startsWith('//') ? line.slice(1) : line);
  const space = line.indexOf(' ');
  const name = space === -1 ? line : line.slice(0, space);
  const rest = space === -1 ? '' : line.slice(space + 1);
  try {
    if (name === '/ping' || name === '/pong') return ws[name === '/ping' ? 'ping' : 'pong'](rest);
    if (name === '/binary') {
      if (!/^([0-9a-fA-F]{2})*$/.test(rest.replace(/\s/g, ''))) return io.err('tandem: /binary needs hex digits\n');
      return ws.send(Buffer.from(rest.replace(/\s/g, ''), 'hex'));
    }
    if (name === '/close') {
      const [code, ...reason] = rest === '' ? [] : rest.split(' ');
      return ws.close(code === undefined ? 1000 : Number(code), reason.join(' '));
    }
    io.err(`tandem: unknown command ${name} (/ping, /pong, /binary, /close; // sends a literal /)\n`);
  } catch (err) {
    io.err(`tandem: ${name}: ${describeError(err)}\n`);
  }
}

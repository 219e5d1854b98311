/** Autobahn section 5 (fragmentation). */
import { encodeClientFrame } from '../../helpers/raw-client.js';
import { BINARY, CONT, PING, PONG, TEXT, sendChunked } from '../cases.js';
import type { Case } from '../cases.js';

const f = encodeClientFrame;
const NOT_FIN = { fin: false } as const;

/** fragment1 / fragment2 as two frames, optionally with a ping between them. */
function twoFragments(opcode: number, withPing: boolean): Buffer[] {
  const frames = [f(opcode, 'fragment1', NOT_FIN)];
  if (withPing) frames.push(f(PING, 'pongme!'));
  frames.push(f(CONT, 'fragment2'));
  return frames;
}

const section5: Case[] = [
  { id: '5.1', title: 'ping in 2 fragments fails (RFC 6455 §5.5)', send: (c) => c.send(f(PING, 'fragment1', NOT_FIN), f(CONT, 'fragment2')), failWith: 1002 },
  { id: '5.2', title: 'pong in 2 fragments fails', send: (c) => c.send(f(PONG, 'fragment1', NOT_FIN), f(CONT, 'fragment2')), failWith: 1002 },
  { id: '5.3', title: 'text in 2 fragments', send: (c) => c.send(...twoFragments(TEXT, false)), expect: [[TEXT, 'fragment1fragment2']] },
  { id: '5.4', title: 'text in 2 fragments, one write per frame, a tick apart', send: async (c) => { for (const b of twoFragments(TEXT, false)) await sendChunked(c, b, b.length); }, expect: [[TEXT, 'fragment1fragment2']] },
  { id: '5.5', title: 'text in 2 fragments written byte by byte', send: (c) => sendChunked(c, Buffer.concat(twoFragments(TEXT, false)), 1), expect: [[TEXT, 'fragment1fragment2']] },
  { id: '5.6', title: 'text in 2 fragments with a ping between', send: (c) => c.send(...twoFragments(TEXT, true)), expect: [[PONG, 'pongme!'], [TEXT, 'fragment1fragment2']] },
  { id: '5.7', title: 'text in 2 fragments with a ping between, frame by frame', send: async (c) => { for (const b of twoFragments(TEXT, true)) await sendChunked(c, b, b.length); }, expect: [[PONG, 'pongme!'], [TEXT, 'fragment1fragment2']] },
  { id: '5.8', title: 'text in 2 fragments with a ping between, byte by byte', send: (c) => sendChunked(c, Buffer.concat(twoFragments(TEXT, true)), 1), expect: [[PONG, 'pongme!'], [TEXT, 'fragment1fragment2']] },
  {
    id: '5.9',
    title: 'a continuation (fin) with no message started fails',
    send: (c) => c.send(f(CONT, 'non-continuation payload'), f(TEXT, 'Hello, world!')),
    failWith: 1002,
  },
  { id: '5.10', title: 'the same, frame by frame', send: async (c) => { for (const b of [f(CONT, 'non-continuation payload'), f(TEXT, 'Hello, world!')]) await sendChunked(c, b, b.length); }, failWith: 1002 },
  { id: '5.11', title: 'the same, byte by byte', send: (c) => sendChunked(c, Buffer.concat([f(CONT, 'non-continuation payload'), f(TEXT, 'Hello, world!')]), 1), failWith: 1002 },
  { id: '5.12', title: 'a continuation (not fin) with no message started fails', send: (c) => c.send(f(CONT, 'non-continuation payload', NOT_FIN), f(TEXT, 'Hello, world!')), failWith: 1002 },
  { id: '5.13', title: 'the same, frame by frame', send: async (c) => { for (const b of [f(CONT, 'x', NOT_FIN), f(TEXT, 'Hello, world!')]) await sendChunked(c, b, b.length); }, failWith: 1002 },
  { id: '5.14', title: 'the same, byte by byte', send: (c) => sendChunked(c, Buffer.concat([f(CONT, 'x', NOT_FIN), f(TEXT, 'Hello, world!')]), 1), failWith: 1002 },
  {
    id: '5.15',
    title: 'text in 2 fragments, then a continuation with no message started fails after the echo',
    send: (c) => c.send(f(TEXT, 'fragment1', NOT_FIN), f(CONT, 'fragment2'), f(CONT, 'fragment3', NOT_FIN), f(TEXT, 'fragment4')),
    expect: [[TEXT, 'fragment1fragment2']],
    failWith: 1002,
  },
  {
    id: '5.16',
    title: 'continuation first, twice, with a text between, fails at once',
    send: (c) => c.send(f(CONT, 'fragment1', NOT_FIN), f(TEXT, 'fragment2'), f(CONT, 'fragment3')),
    failWith: 1002,
  },
  {
    id: '5.17',
    title: 'continuation (fin) first fails at once',
    send: (c) => c.send(f(CONT, 'fragment1'), f(TEXT, 'fragment2'), f(CONT, 'fragment3')),
    failWith: 1002,
  },
  {
    id: '5.18',
    title: 'a new text frame inside a fragmented message fails (RFC 6455 §5.4)',
    send: (c) => c.send(f(TEXT, 'fragment1', NOT_FIN), f(TEXT, 'fragment2')),
    failWith: 1002,
  },
  {
    id: '5.19',
    title: 'text in 5 fragments with 2 pings between',
    send: async (c) => {
      c.send(f(TEXT, 'fragment1', NOT_FIN), f(CONT, 'fragment2', NOT_FIN), f(PING, 'pongme 1!'));
      await new Promise((r) => setTimeout(r, 20));
      c.send(f(CONT, 'fragment3', NOT_FIN), f(CONT, 'fragment4', NOT_FIN), f(PING, 'pongme 2!'));
      await new Promise((r) => setTimeout(r, 20));
      c.send(f(CONT, 'fragment5'));
    },
    expect: [[PONG, 'pongme 1!'], [PONG, 'pongme 2!'], [TEXT, 'fragment1fragment2fragment3fragment4fragment5']],
  },
  {
    id: '5.20',
    title: 'the same, every frame byte by byte',
    send: (c) =>
      sendChunked(
        c,
        Buffer.concat([f(TEXT, 'fragment1', NOT_FIN), f(CONT, 'fragment2', NOT_FIN), f(PING, 'pongme 1!'), f(CONT, 'fragment3', NOT_FIN), f(CONT, 'fragment4', NOT_FIN), f(PING, 'pongme 2!'), f(CONT, 'fragment5')]),
        1,
      ),
    expect: [[PONG, 'pongme 1!'], [PONG, 'pongme 2!'], [TEXT, 'fragment1fragment2fragment3fragment4fragment5']],
  },
  { id: '5.x binary', title: 'binary in 3 fragments, empty ones included', send: (c) => c.send(f(BINARY, Uint8Array.of(1), NOT_FIN), f(CONT, new Uint8Array(0), NOT_FIN), f(CONT, Uint8Array.of(2, 3))), expect: [[BINARY, Uint8Array.of(1, 2, 3)]] },
  { id: '5.x empty', title: 'text of empty fragments only', send: (c) => c.send(f(TEXT, '', NOT_FIN), f(CONT, '', NOT_FIN), f(CONT, '')), expect: [[TEXT, '']] },
];

/** The cases of this file, by Autobahn section. */
export const SECTIONS: ReadonlyArray<readonly [name: string, cases: readonly Case[]]> = [['5 fragmentation', section5]];

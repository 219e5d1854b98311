/**
 * Autobahn sections 1 (framing), 2 (ping/pong), 3 (reserved bits) and 4 (opcodes) against the
 * in-process echo server.
 */
import { encodeClientFrame } from '../../helpers/raw-client.js';
import { BINARY, CLOSE, PING, PONG, TEXT, asciiText, pseudoRandomBytes, sendChunked } from '../cases.js';
import type { Case } from '../cases.js';

const LENGTHS = [0, 125, 126, 127, 128, 65535, 65536] as const;

const section1: Case[] = [
  ...LENGTHS.map((n, i): Case => ({
    id: `1.1.${i + 1}`,
    title: `text message of ${n} bytes`,
    send: (c) => c.sendFrame(TEXT, asciiText(n)),
    expect: [[TEXT, asciiText(n)]],
  })),
  {
    id: '1.1.8',
    title: 'text message of 65536 bytes written in chunks of 997 bytes',
    send: (c) => sendChunked(c, encodeClientFrame(TEXT, asciiText(65536)), 997),
    expect: [[TEXT, asciiText(65536)]],
  },
  ...LENGTHS.map((n, i): Case => ({
    id: `1.2.${i + 1}`,
    title: `binary message of ${n} bytes`,
    send: (c) => c.sendFrame(BINARY, pseudoRandomBytes(n, i + 1)),
    expect: [[BINARY, pseudoRandomBytes(n, i + 1)]],
  })),
  {
    id: '1.2.8',
    title: 'binary message of 65536 bytes written in chunks of 997 bytes',
    send: (c) => sendChunked(c, encodeClientFrame(BINARY, pseudoRandomBytes(65536, 8)), 997),
    expect: [[BINARY, pseudoRandomBytes(65536, 8)]],
  },
];

const bin125 = pseudoRandomBytes(125, 3);
const section2: Case[] = [
  { id: '2.1', title: 'ping without payload', send: (c) => c.sendFrame(PING), expect: [[PONG, '']] },
  { id: '2.2', title: 'ping with a small text payload', send: (c) => c.sendFrame(PING, 'Hello, world!'), expect: [[PONG, 'Hello, world!']] },
  { id: '2.3', title: 'ping with a small binary payload', send: (c) => c.sendFrame(PING, Uint8Array.of(0, 0xff, 0xfe, 0xfd, 0xfc, 0xfb, 0, 0xff)), expect: [[PONG, Uint8Array.of(0, 0xff, 0xfe, 0xfd, 0xfc, 0xfb, 0, 0xff)]] },
  { id: '2.4', title: 'ping with a 125-byte payload', send: (c) => c.sendFrame(PING, bin125), expect: [[PONG, bin125]] },
  { id: '2.5', title: 'ping with a 126-byte payload fails (RFC 6455 §5.5)', send: (c) => c.sendFrame(PING, pseudoRandomBytes(126)), failWith: 1002 },
  { id: '2.6', title: 'ping with a 125-byte payload written byte by byte', send: (c) => sendChunked(c, encodeClientFrame(PING, bin125), 1), expect: [[PONG, bin125]] },
  { id: '2.7', title: 'unsolicited pong without payload is ignored', send: (c) => c.sendFrame(PONG) },
  { id: '2.8', title: 'unsolicited pong with payload is ignored', send: (c) => c.sendFrame(PONG, 'unsolicited pong payload') },
  {
    id: '2.9',
    title: 'unsolicited pong, then ping: only the ping is answered',
    send: (c) => {
      c.sendFrame(PONG, 'unsolicited pong payload');
      c.sendFrame(PING, 'ping payload');
    },
    expect: [[PONG, 'ping payload']],
  },
  {
    id: '2.10',
    title: '10 pings in one write are answered in order',
    send: (c) => c.send(...Array.from({ length: 10 }, (_, i) => encodeClientFrame(PING, `payload-${i}`))),
    expect: Array.from({ length: 10 }, (_, i) => [PONG, `payload-${i}`] as const),
  },
  {
    id: '2.11',
    title: '10 pings, each written byte by byte',
    send: async (c) => {
      for (let i = 0; i < 10; i++) await sendChunked(c, encodeClientFrame(PING, `payload-${i}`), 1);
    },
    expect: Array.from({ length: 10 }, (_, i) => [PONG, `payload-${i}`] as const),
  },
];

const section3: Case[] = [
  { id: '3.1', title: 'text with RSV = 1 fails', send: (c) => c.sendFrame(TEXT, 'Hello, world!', { rsv: 1 }), failWith: 1002 },
  {
    id: '3.2',
    title: 'text, then text with RSV = 2, then ping: echo, fail, no pong',
    send: (c) => {
      c.sendFrame(TEXT, 'Hello, world!');
      c.sendFrame(TEXT, 'Hello, world!', { rsv: 2 });
      c.sendFrame(PING);
    },
    expect: [[TEXT, 'Hello, world!']],
    failWith: 1002,
  },
  {
    id: '3.3',
    title: 'text, then text with RSV = 3 written byte by byte, then ping',
    send: async (c) => {
      c.sendFrame(TEXT, 'Hello, world!');
      await sendChunked(c, encodeClientFrame(TEXT, 'Hello, world!', { rsv: 3 }), 1);
      c.sendFrame(PING);
    },
    expect: [[TEXT, 'Hello, world!']],
    failWith: 1002,
  },
  { id: '3.4', title: 'binary with RSV = 4 (no extension negotiated) fails', send: (c) => c.sendFrame(BINARY, pseudoRandomBytes(8), { rsv: 4 }), failWith: 1002 },
  { id: '3.5', title: 'binary with RSV = 5 fails', send: (c) => c.sendFrame(BINARY, pseudoRandomBytes(8), { rsv: 5 }), failWith: 1002 },
  { id: '3.6', title: 'ping with RSV = 6 fails', send: (c) => c.sendFrame(PING, 'Hello, world!', { rsv: 6 }), failWith: 1002 },
  { id: '3.7', title: 'close with RSV = 7 fails', send: (c) => c.sendFrame(CLOSE, Uint8Array.of(0x03, 0xe8), { rsv: 7 }), failWith: 1002 },
];

function reservedOpcodeCase(id: string, opcode: number, withPayload: boolean, textFirst: boolean): Case {
  return {
    id,
    title: `${textFirst ? 'text, then ' : ''}reserved opcode ${opcode}${withPayload ? ' with payload' : ''}${textFirst ? ', then ping' : ''} fails`,
    send: (c) => {
      if (textFirst) c.sendFrame(TEXT, 'Hello, world!');
      c.sendFrame(opcode, withPayload ? 'reserved opcode payload' : '');
      if (textFirst) c.sendFrame(PING);
    },
    expect: textFirst ? [[TEXT, 'Hello, world!']] : [],
    failWith: 1002,
  };
}

const section4: Case[] = [
  ...[3, 4, 5, 6, 7].map((op, i) => reservedOpcodeCase(`4.1.${i + 1}`, op, i === 1, i >= 2)),
  ...[11, 12, 13, 14, 15].map((op, i) => reservedOpcodeCase(`4.2.${i + 1}`, op, i === 1, i >= 2)),
];

/** The cases of this file, by Autobahn section. */
export const SECTIONS: ReadonlyArray<readonly [name: string, cases: readonly Case[]]> = [
  ['1 framing', section1],
  ['2 pings and pongs', section2],
  ['3 reserved bits', section3],
  ['4 opcodes', section4],
];

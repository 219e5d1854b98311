/** Autobahn section 7 (close handling). */
import { closePayload, encodeClientFrame } from '../../helpers/raw-client.js';
import { CLOSE, CONT, PING, TEXT, asciiText } from '../cases.js';
import type { Case } from '../cases.js';

const f = encodeClientFrame;
const close1000 = closePayload(1000);

const basics: Case[] = [
  { id: '7.1.1', title: 'echo, then a clean close', send: (c) => c.sendFrame(TEXT, 'Hello World!'), expect: [[TEXT, 'Hello World!']] },
  { id: '7.1.2', title: 'a second close frame is ignored', send: (c) => c.send(f(CLOSE, close1000), f(CLOSE, close1000)), expect: [[CLOSE, close1000]], closesItself: true },
  { id: '7.1.3', title: 'a ping after the close is not answered', send: (c) => c.send(f(CLOSE, close1000), f(PING, 'Hello World!')), expect: [[CLOSE, close1000]], closesItself: true },
  { id: '7.1.4', title: 'a text after the close is not echoed', send: (c) => c.send(f(CLOSE, close1000), f(TEXT, 'Hello World!')), expect: [[CLOSE, close1000]], closesItself: true },
  {
    id: '7.1.5',
    title: 'a message interrupted by the close is dropped',
    send: (c) => c.send(f(TEXT, 'fragment1', { fin: false }), f(CLOSE, close1000), f(CONT, 'fragment2')),
    expect: [[CLOSE, close1000]],
    closesItself: true,
  },
  {
    id: '7.1.6',
    title: 'a big message, then close and ping: echo and close, no pong',
    send: (c) => c.send(f(TEXT, asciiText(256 * 1024)), f(CLOSE, close1000), f(PING, 'Hello World!')),
    expect: [[TEXT, asciiText(256 * 1024)], [CLOSE, close1000]],
    closesItself: true,
  },
  { id: '7.3.1', title: 'an empty close is answered with an empty close', send: (c) => c.sendFrame(CLOSE), expect: [[CLOSE, '']], closesItself: true },
  { id: '7.3.2', title: 'a close with a 1-byte payload fails', send: (c) => c.sendFrame(CLOSE, Uint8Array.of(0x03)), failWith: 1002 },
  { id: '7.3.3', title: 'close 1000 without reason is echoed', send: (c) => c.sendFrame(CLOSE, close1000), expect: [[CLOSE, close1000]], closesItself: true },
  // RFC 6455 §5.5.1: the endpoint echoes the status code it received; the reason is its own (none).
  { id: '7.3.4', title: 'close 1000 with a reason: the code is echoed', send: (c) => c.sendFrame(CLOSE, closePayload(1000, 'Hello World!')), expect: [[CLOSE, close1000]], closesItself: true },
  { id: '7.3.5', title: 'close 1000 with a 123-byte reason', send: (c) => c.sendFrame(CLOSE, closePayload(1000, '*'.repeat(123))), expect: [[CLOSE, close1000]], closesItself: true },
  { id: '7.3.6', title: 'close with a 124-byte reason (126-byte control frame) fails', send: (c) => c.sendFrame(CLOSE, closePayload(1000, '*'.repeat(124))), failWith: 1002 },
  { id: '7.5.1', title: 'close reason that is not UTF-8 fails with 1007', send: (c) => c.sendFrame(CLOSE, closePayload(1000, Buffer.from('cebae1bdb9cf83cebcceb5eda080656469746564', 'hex'))), failWith: 1007 },
];

const VALID_CODES = [1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 3999, 4000, 4999];
const INVALID_CODES = [0, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535];

const codes: Case[] = [
  ...VALID_CODES.map((code, i): Case => ({
    id: `7.7.${i + 1}`,
    title: `valid close code ${code} is echoed`,
    send: (c) => c.sendFrame(CLOSE, closePayload(code)),
    expect: [[CLOSE, closePayload(code)]],
    closesItself: true,
  })),
  ...INVALID_CODES.map((code, i): Case => ({
    id: `7.9.${i + 1}`,
    title: `invalid close code ${code} fails with 1002`,
    send: (c) => c.sendFrame(CLOSE, closePayload(code)),
    failWith: 1002,
  })),
];

/** The cases of this file, by Autobahn section. */
export const SECTIONS: ReadonlyArray<readonly [name: string, cases: readonly Case[]]> = [['7 close handling', [...basics, ...codes]]];

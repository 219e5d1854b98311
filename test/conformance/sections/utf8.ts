/** Autobahn section 6 (UTF-8 handling). */
import { encodeClientFrame } from '../../helpers/raw-client.js';
import { CONT, TEXT, sendChunked } from '../cases.js';
import type { Case } from '../cases.js';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');

/** Valid sequences (Autobahn 6.2, 6.5, 6.6, 6.7, 6.22, 6.23): echoed byte for byte. */
const VALID: Array<[id: string, title: string, bytes: Buffer]> = [
  ['6.1.1', 'empty text', Buffer.alloc(0)],
  ['6.2.1', 'Hello-µ@ßöäüàá-UTF-8!!', Buffer.from('Hello-µ@ßöäüàá-UTF-8!!')],
  ['6.5.1', 'κόσμε', hex('cebae1bdb9cf83cebcceb5')],
  ['6.7.1', 'first 1-byte sequence U+0000', hex('00')],
  ['6.7.2', 'first 2-byte sequence U+0080', hex('c280')],
  ['6.7.3', 'first 3-byte sequence U+0800', hex('e0a080')],
  ['6.7.4', 'first 4-byte sequence U+10000', hex('f0908080')],
  ['6.8.x', 'last 1-byte U+007F', hex('7f')],
  ['6.8.y', 'last 2-byte U+07FF', hex('dfbf')],
  ['6.9.1', 'last 3-byte U+FFFF', hex('efbfbf')],
  ['6.9.2', 'last code point U+10FFFF', hex('f48fbfbf')],
  ['6.10.1', 'U+D7FF (before the surrogates)', hex('ed9fbf')],
  ['6.10.2', 'U+E000 (after the surrogates)', hex('ee8080')],
  ['6.10.3', 'U+FFFD', hex('efbfbd')],
  ['6.22.1', 'noncharacter U+FFFE', hex('efbfbe')],
  ['6.22.2', 'noncharacter U+1FFFE', hex('f09fbfbe')],
  ['6.22.3', 'noncharacter U+10FFFF', hex('f48fbfbf')],
  ['6.23.1', 'replacement character U+FFFD', hex('efbfbd')],
];

/** Invalid sequences (Autobahn 6.3, 6.8, 6.10-6.21): 1007. */
const INVALID: Array<[id: string, title: string, bytes: Buffer]> = [
  ['6.3.1', 'κόσμε with an invalid byte in the middle', hex('cebae1bdb9cf83cebcceb5eda080656469746564')],
  ['6.8.1', 'code point above U+10FFFF (f4 90 80 80)', hex('f4908080')],
  ['6.8.2', '5-byte sequence', hex('f888808080')],
  ['6.8.3', '6-byte sequence', hex('fc8480808080')],
  ['6.10.4', 'lonely continuation byte 0x80', hex('80')],
  ['6.10.5', 'lonely continuation byte 0xbf', hex('bf')],
  ['6.11.1', '2 continuation bytes', hex('80bf')],
  ['6.12.1', 'lonely 2-byte start followed by a space', hex('c020')],
  ['6.12.2', 'lonely 3-byte start followed by a space', hex('e020')],
  ['6.12.3', 'lonely 4-byte start followed by a space', hex('f020')],
  ['6.13.1', '2-byte sequence missing its last byte', hex('c2')],
  ['6.13.2', '3-byte sequence missing its last byte', hex('e0a0')],
  ['6.13.3', '4-byte sequence missing its last byte', hex('f09080')],
  ['6.14.1', 'concatenated incomplete sequences', hex('c2e0a0f09080')],
  ['6.15.1', 'impossible byte 0xfe', hex('fe')],
  ['6.15.2', 'impossible byte 0xff', hex('ff')],
  ['6.16.1', 'impossible bytes fe fe ff ff', hex('fefeffff')],
  ['6.17.1', 'overlong "/" in 2 bytes', hex('c0af')],
  ['6.17.2', 'overlong "/" in 3 bytes', hex('e080af')],
  ['6.17.3', 'overlong "/" in 4 bytes', hex('f08080af')],
  ['6.18.1', 'maximal overlong 2-byte', hex('c1bf')],
  ['6.18.2', 'maximal overlong 3-byte', hex('e09fbf')],
  ['6.18.3', 'maximal overlong 4-byte', hex('f08fbfbf')],
  ['6.19.1', 'overlong NUL in 2 bytes', hex('c080')],
  ['6.19.2', 'overlong NUL in 3 bytes', hex('e08080')],
  ['6.20.1', 'single surrogate U+D800', hex('eda080')],
  ['6.20.2', 'single surrogate U+DBFF', hex('edafbf')],
  ['6.20.3', 'single surrogate U+DC00', hex('edb080')],
  ['6.20.4', 'single surrogate U+DFFF', hex('edbfbf')],
  ['6.21.1', 'paired surrogates U+D800 U+DC00 (CESU-8)', hex('eda080edb080')],
  ['6.21.2', 'paired surrogates U+DBFF U+DFFF', hex('edafbfedbfbf')],
];

/** One frame per byte of `bytes` (the message split at every byte boundary). */
function perByteFragments(bytes: Buffer): Buffer[] {
  if (bytes.length === 0) return [encodeClientFrame(TEXT, '')];
  return [...bytes].map((b, i) => encodeClientFrame(i === 0 ? TEXT : CONT, Uint8Array.of(b), { fin: i === bytes.length - 1 }));
}

const cases: Case[] = [
  ...VALID.flatMap(([id, title, bytes]): Case[] => [
    { id, title: `${title}: echoed`, send: (c) => c.sendFrame(TEXT, bytes), expect: [[TEXT, bytes]] },
    { id: `${id}.f`, title: `${title}: fragmented at every byte`, send: (c) => c.send(...perByteFragments(bytes)), expect: [[TEXT, bytes]] },
    { id: `${id}.c`, title: `${title}: written byte by byte`, send: (c) => sendChunked(c, encodeClientFrame(TEXT, bytes), 1), expect: [[TEXT, bytes]] },
  ]),
  ...INVALID.flatMap(([id, title, bytes]): Case[] => [
    { id, title: `${title}: 1007`, send: (c) => c.sendFrame(TEXT, bytes), failWith: 1007 },
    { id: `${id}.f`, title: `${title}, fragmented at every byte: 1007`, send: (c) => c.send(...perByteFragments(bytes)), failWith: 1007 },
  ]),
  {
    id: '6.4.1',
    title: 'fails fast: the invalid first fragment is rejected before the message ends',
    // Only the first fragment is sent: the server must not wait for the rest (RFC 6455 §8.1).
    send: (c) => c.sendFrame(TEXT, hex('cebae1bdb9cf83cebcceb5f4908080'), { fin: false }),
    failWith: 1007,
  },
  {
    id: '6.4.2',
    title: 'fails fast inside a frame: a partial frame with an invalid prefix is rejected',
    // Frame header and the first bytes of a 64 KiB payload; the payload never completes.
    send: (c) => c.send(encodeClientFrame(TEXT, Buffer.concat([hex('f4908080'), Buffer.alloc(65536 - 4, 0x61)])).subarray(0, 4096)),
    failWith: 1007,
  },
  {
    id: '6.4.3',
    title: 'fails fast: a fragment ending in the middle of a code point is fine, a wrong continuation is not',
    send: (c) => c.send(encodeClientFrame(TEXT, hex('cebae1'), { fin: false }), encodeClientFrame(CONT, hex('41'), { fin: false })),
    failWith: 1007,
  },
];

/** The cases of this file, by Autobahn section. */
export const SECTIONS: ReadonlyArray<readonly [name: string, cases: readonly Case[]]> = [['6 UTF-8 handling', cases]];

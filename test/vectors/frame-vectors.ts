/**
 * Byte-level vectors for the RFC 6455 engine: `{ name, role, hex, expect }`. `role` is the role of
 * the receiving engine; `hex` is what arrives; `expect` lists every handler call in order, the
 * engine's own writes included (client-role writes are masked with TEST_CLIENT_KEY).
 */
import type { ConnectionOptions, Role } from '../../src/rfc6455/index.js';
import type { EngineEvent } from '../src/rfc6455/recorder.js';
import { TEST_CLIENT_KEY } from '../src/rfc6455/recorder.js';
import { clientFrame, closeBody, frame, pattern, serverFrame, toBytes, toHex, type FrameOptions } from '../helpers/frames.js';

export interface FrameVector {
  name: string;
  role: Role;
  hex: string;
  expect: EngineEvent[];
  options?: Partial<ConnectionOptions>;
}

const TEXT = 0x1;
const BINARY = 0x2;
const CONT = 0x0;
const CLOSE = 0x8;
const PING = 0x9;
const PONG = 0xa;

type Payload = Uint8Array | string | readonly number[];
/** A frame as the given receiving role expects it from its peer. */
const c = (opcode: number, payload?: Payload, options?: FrameOptions): string => toHex(clientFrame(opcode, payload, options));
const s = (opcode: number, payload?: Payload, options?: FrameOptions): string => toHex(serverFrame(opcode, payload, options));
const hex = (payload: Payload): string => toHex(toBytes(payload));

const text = (payload: Payload): EngineEvent => ({ type: 'message', binary: false, compressed: false, hex: hex(payload) });
const binary = (payload: Payload, compressed = false): EngineEvent => ({ type: 'message', binary: true, compressed, hex: hex(payload) });
const ping = (payload: Payload = ''): EngineEvent => ({ type: 'ping', hex: hex(payload) });
const pong = (payload: Payload = ''): EngineEvent => ({ type: 'pong', hex: hex(payload) });
const closed = (code: number, reason = ''): EngineEvent => ({ type: 'close', code, reason });
/** What a server-role engine writes (unmasked). */
const wrote = (opcode: number, payload: Payload = ''): EngineEvent => ({ type: 'write', hex: s(opcode, payload) });
/** What a client-role engine writes (masked with the fixed test key). */
const wroteMasked = (opcode: number, payload: Payload = ''): EngineEvent => ({
  type: 'write',
  hex: toHex(frame(opcode, payload, { maskKey: TEST_CLIENT_KEY })),
});
const protocolError = (code: string, closeCode = 1002): EngineEvent => ({ type: 'error', name: 'ProtocolError', code, closeCode });
/** Server-role failure: the close frame it writes, then the error. */
const fails = (code: string, closeCode = 1002): EngineEvent[] => [wrote(CLOSE, closeBody(closeCode)), protocolError(code, closeCode)];

const HELLO_UTF8 = 'κόσμε';
const helloBytes = toBytes(HELLO_UTF8); // ce ba e1 bd b9 cf 83 ce bc ce b5

export const FRAME_VECTORS: FrameVector[] = [
  // RFC 6455 §5.7 examples, byte for byte.
  { name: '§5.7 single-frame unmasked text', role: 'client', hex: '810548656c6c6f', expect: [text('Hello')] },
  { name: '§5.7 single-frame masked text', role: 'server', hex: '818537fa213d7f9f4d5158', expect: [text('Hello')] },
  { name: '§5.7 fragmented unmasked text', role: 'client', hex: '010348656c80026c6f', expect: [text('Hello')] },
  { name: '§5.7 unmasked ping → masked pong', role: 'client', hex: '890548656c6c6f', expect: [wroteMasked(PONG, 'Hello'), ping('Hello')] },
  { name: '§5.7 masked pong', role: 'server', hex: '8a8537fa213d7f9f4d5158', expect: [pong('Hello')] },
  { name: '§5.7 256 bytes binary, 16-bit length', role: 'client', hex: '827e0100' + hex(pattern(256)), expect: [binary(pattern(256))] },
  {
    name: '§5.7 64 KiB binary, 64-bit length',
    role: 'client',
    hex: '827f0000000000010000' + hex(pattern(65536)),
    expect: [binary(pattern(65536))],
  },
  // Boundary lengths (server role: masked).
  ...[0, 1, 125, 126, 127, 65535, 65536].map((n): FrameVector => ({
    name: `binary of length ${n}`,
    role: 'server',
    hex: c(BINARY, pattern(n, n)),
    expect: [binary(pattern(n, n))],
  })),
  { name: 'empty text', role: 'server', hex: c(TEXT, ''), expect: [text('')] },
  { name: 'several frames in one chunk', role: 'server', hex: c(TEXT, 'a') + c(BINARY, [1, 2]) + c(PONG, 'p'), expect: [text('a'), binary([1, 2]), pong('p')] },
  {
    name: 'ping interleaved in a fragmented message',
    role: 'server',
    hex: c(TEXT, 'Hel', { fin: false }) + c(PING, 'x') + c(CONT, 'lo'),
    expect: [wrote(PONG, 'x'), ping('x'), text('Hello')],
  },
  {
    name: 'fragmented binary with empty fragments',
    role: 'server',
    hex: c(BINARY, [], { fin: false }) + c(CONT, [1], { fin: false }) + c(CONT, [], { fin: false }) + c(CONT, [2, 3]),
    expect: [binary([1, 2, 3])],
  },
  {
    name: 'UTF-8 sequence split across fragments',
    role: 'server',
    hex: c(TEXT, helloBytes.subarray(0, 3), { fin: false }) + c(CONT, helloBytes.subarray(3, 6), { fin: false }) + c(CONT, helloBytes.subarray(6)),
    expect: [text(HELLO_UTF8)],
  },
  { name: 'control frame with 125 bytes', role: 'server', hex: c(PING, pattern(125)), expect: [wrote(PONG, pattern(125)), ping(pattern(125))] },
  { name: 'ping with empty payload', role: 'server', hex: c(PING), expect: [wrote(PONG), ping()] },
  { name: 'no auto-pong when disabled', role: 'server', hex: c(PING, 'x'), options: { autoPong: false }, expect: [ping('x')] },

  // RSV bits.
  { name: 'RSV2 set', role: 'server', hex: c(TEXT, 'a', { rsv2: true }), expect: fails('ERR_UNEXPECTED_RSV') },
  { name: 'RSV3 set', role: 'server', hex: c(TEXT, 'a', { rsv3: true }), expect: fails('ERR_UNEXPECTED_RSV') },
  { name: 'RSV1 without an extension', role: 'server', hex: c(TEXT, 'a', { rsv1: true }), expect: fails('ERR_UNEXPECTED_RSV') },
  {
    name: 'RSV1 with rsv1Allowed: compressed, not UTF-8 checked',
    role: 'server',
    hex: c(TEXT, [0xff, 0xfe], { rsv1: true }) + c(BINARY, [1], { rsv1: true }),
    options: { rsv1Allowed: true },
    expect: [{ type: 'message', binary: false, compressed: true, hex: 'fffe' }, binary([1], true)],
  },
  {
    name: 'RSV1 on the first fragment only',
    role: 'server',
    hex: c(BINARY, [1], { rsv1: true, fin: false }) + c(CONT, [2]),
    options: { rsv1Allowed: true },
    expect: [binary([1, 2], true)],
  },
  {
    name: 'RSV1 on a continuation frame',
    role: 'server',
    hex: c(BINARY, [1], { fin: false }) + c(CONT, [2], { rsv1: true }),
    options: { rsv1Allowed: true },
    expect: fails('ERR_UNEXPECTED_RSV'),
  },
  { name: 'RSV1 on a ping', role: 'server', hex: c(PING, '', { rsv1: true }), options: { rsv1Allowed: true }, expect: fails('ERR_UNEXPECTED_RSV') },

  // Opcodes.
  ...[3, 4, 5, 6, 7, 11, 12, 13, 14, 15].map((opcode): FrameVector => ({
    name: `reserved opcode ${opcode}`,
    role: 'server',
    hex: c(opcode, 'a'),
    expect: fails('ERR_INVALID_OPCODE'),
  })),
  { name: 'reserved opcode after a valid frame', role: 'server', hex: c(TEXT, 'ok') + c(5, ''), expect: [text('ok'), ...fails('ERR_INVALID_OPCODE')] },

  // Control frame rules.
  { name: 'ping with 126 bytes', role: 'server', hex: c(PING, pattern(126)), expect: fails('ERR_CONTROL_FRAME_TOO_LONG') },
  { name: 'close declaring 126 bytes', role: 'server', hex: c(CLOSE, pattern(126)), expect: fails('ERR_CONTROL_FRAME_TOO_LONG') },
  { name: 'fragmented ping', role: 'server', hex: c(PING, 'a', { fin: false }), expect: fails('ERR_FRAGMENTED_CONTROL_FRAME') },

  // Continuation rules.
  { name: 'continuation without a message', role: 'server', hex: c(CONT, 'a'), expect: fails('ERR_UNEXPECTED_CONTINUATION') },
  { name: 'continuation after a complete message', role: 'server', hex: c(TEXT, 'a') + c(CONT, 'b'), expect: [text('a'), ...fails('ERR_UNEXPECTED_CONTINUATION')] },
  { name: 'text inside a fragmented text', role: 'server', hex: c(TEXT, 'a', { fin: false }) + c(TEXT, 'b'), expect: fails('ERR_EXPECTED_CONTINUATION') },
  { name: 'binary inside a fragmented text', role: 'server', hex: c(TEXT, 'a', { fin: false }) + c(BINARY, 'b'), expect: fails('ERR_EXPECTED_CONTINUATION') },

  // Masking, by role.
  { name: 'unmasked frame to a server', role: 'server', hex: s(TEXT, 'a'), expect: fails('ERR_EXPECTED_MASK') },
  {
    name: 'masked frame to a client',
    role: 'client',
    hex: c(TEXT, 'a'),
    expect: [wroteMasked(CLOSE, closeBody(1002)), protocolError('ERR_UNEXPECTED_MASK')],
  },

  // Length encodings.
  { name: '16-bit length for 125 bytes (non-minimal)', role: 'server', hex: c(BINARY, pattern(125), { lengthBytes: 2 }), expect: fails('ERR_NON_MINIMAL_LENGTH') },
  { name: '64-bit length for 65535 bytes (non-minimal)', role: 'server', hex: c(BINARY, pattern(65535), { lengthBytes: 8 }), expect: fails('ERR_NON_MINIMAL_LENGTH') },
  { name: '64-bit length for 0 bytes (non-minimal)', role: 'server', hex: c(BINARY, [], { lengthBytes: 8 }), expect: fails('ERR_NON_MINIMAL_LENGTH') },
  { name: '64-bit length with its top bit set', role: 'server', hex: c(BINARY, [], { lengthBytes: 8, declaredLength: 65536, lengthMsb: true }), expect: fails('ERR_INVALID_LENGTH') },

  // Limits.
  { name: 'frame over maxPayload', role: 'server', hex: c(BINARY, pattern(11)), options: { maxPayload: 10 }, expect: fails('ERR_MESSAGE_TOO_BIG', 1009) },
  { name: 'frame of exactly maxPayload', role: 'server', hex: c(BINARY, pattern(10)), options: { maxPayload: 10 }, expect: [binary(pattern(10))] },
  {
    name: 'maxPayload counts the whole message across fragments',
    role: 'server',
    hex: c(BINARY, pattern(6), { fin: false }) + c(CONT, pattern(6)),
    options: { maxPayload: 10 },
    expect: fails('ERR_MESSAGE_TOO_BIG', 1009),
  },
  {
    name: 'fragments summing to maxPayload pass',
    role: 'server',
    hex: c(BINARY, pattern(5), { fin: false }) + c(CONT, pattern(5)),
    options: { maxPayload: 10 },
    expect: [binary([...pattern(5), ...pattern(5)])],
  },
  {
    name: 'a claimed huge length fails before any payload',
    role: 'server',
    hex: c(BINARY, [], { lengthBytes: 8, declaredLength: 2 ** 40 }),
    expect: fails('ERR_MESSAGE_TOO_BIG', 1009),
  },
  {
    name: 'more fragments than maxFragments',
    role: 'server',
    hex: c(BINARY, [1], { fin: false }) + c(CONT, [2], { fin: false }) + c(CONT, [3], { fin: false }) + c(CONT, [4]),
    options: { maxFragments: 3 },
    expect: fails('ERR_TOO_MANY_FRAGMENTS', 1009),
  },
  {
    name: 'exactly maxFragments',
    role: 'server',
    hex: c(BINARY, [1], { fin: false }) + c(CONT, [2], { fin: false }) + c(CONT, [3]),
    options: { maxFragments: 3 },
    expect: [binary([1, 2, 3])],
  },

  // UTF-8 (RFC 3629 via RFC 6455 §8.1) → 1007.
  { name: 'valid multi-byte text', role: 'server', hex: c(TEXT, '€𝄞✓ok'), expect: [text('€𝄞✓ok')] },
  ...(
    [
      ['overlong 2-byte /', [0xc0, 0xaf]],
      ['overlong 3-byte', [0xe0, 0x80, 0xaf]],
      ['overlong 4-byte', [0xf0, 0x80, 0x80, 0xaf]],
      ['surrogate U+D800', [0xed, 0xa0, 0x80]],
      ['surrogate U+DFFF', [0xed, 0xbf, 0xbf]],
      ['above U+10FFFF', [0xf4, 0x90, 0x80, 0x80]],
      ['byte F5', [0xf5, 0x80, 0x80, 0x80]],
      ['lone continuation', [0x80]],
      ['truncated at message end', [0x61, 0xe2, 0x82]],
      ['Autobahn 6.3.1', [0xce, 0xba, 0xe1, 0xbd, 0xb9, 0xcf, 0x83, 0xce, 0xbc, 0xce, 0xb5, 0xed, 0xa0, 0x80, 0x65, 0x64, 0x69, 0x74, 0x65, 0x64]],
    ] as const
  ).map(([what, bytes]): FrameVector => ({
    name: `invalid UTF-8: ${what}`,
    role: 'server',
    hex: c(TEXT, bytes),
    expect: fails('ERR_INVALID_UTF8', 1007),
  })),
  {
    name: 'invalid UTF-8 fails at the bad fragment, before the message ends',
    role: 'server',
    hex: c(TEXT, [0xce, 0xba], { fin: false }) + c(CONT, [0xf4, 0x90], { fin: false }),
    expect: fails('ERR_INVALID_UTF8', 1007),
  },
  {
    name: 'sequence truncated by the last fragment',
    role: 'server',
    hex: c(TEXT, [0x61, 0xe2, 0x82], { fin: false }) + c(CONT, []),
    expect: fails('ERR_INVALID_UTF8', 1007),
  },
  { name: 'binary is not UTF-8 checked', role: 'server', hex: c(BINARY, [0xff, 0xc0]), expect: [binary([0xff, 0xc0])] },

  // Close frames (RFC 6455 §5.5.1, §7.4).
  { name: 'empty close: 1005, echoed empty', role: 'server', hex: c(CLOSE), expect: [wrote(CLOSE), closed(1005)] },
  { name: 'close 1000 with a reason', role: 'server', hex: c(CLOSE, closeBody(1000, 'bye')), expect: [wrote(CLOSE, closeBody(1000)), closed(1000, 'bye')] },
  { name: 'close with a 1-byte payload', role: 'server', hex: c(CLOSE, [0x03]), expect: fails('ERR_INVALID_CLOSE_PAYLOAD') },
  ...[0, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535].map((code): FrameVector => ({
    name: `close code ${code} is invalid on the wire`,
    role: 'server',
    hex: c(CLOSE, closeBody(code)),
    expect: fails('ERR_INVALID_CLOSE_CODE'),
  })),
  ...[1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 3999, 4000, 4999].map((code): FrameVector => ({
    name: `close code ${code} is echoed`,
    role: 'server',
    hex: c(CLOSE, closeBody(code)),
    expect: [wrote(CLOSE, closeBody(code)), closed(code)],
  })),
  { name: 'close reason not UTF-8', role: 'server', hex: c(CLOSE, closeBody(1000, [0xce, 0xba, 0xff])), expect: fails('ERR_INVALID_UTF8', 1007) },
  {
    name: 'close with a 123-byte reason',
    role: 'server',
    hex: c(CLOSE, closeBody(1000, 'r'.repeat(123))),
    expect: [wrote(CLOSE, closeBody(1000)), closed(1000, 'r'.repeat(123))],
  },
  { name: 'data after a close frame is ignored', role: 'server', hex: c(CLOSE, closeBody(1001)) + c(TEXT, 'late') + 'ffff', expect: [wrote(CLOSE, closeBody(1001)), closed(1001)] },
  { name: 'bytes after an error are ignored', role: 'server', hex: c(3, '') + c(TEXT, 'late'), expect: fails('ERR_INVALID_OPCODE') },
  {
    name: 'client role echoes a close masked',
    role: 'client',
    hex: s(CLOSE, closeBody(1001, 'going')),
    expect: [wroteMasked(CLOSE, closeBody(1001)), closed(1001, 'going')],
  },
];

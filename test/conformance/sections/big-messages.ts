/**
 * Autobahn section 9 (limits and performance), at CI-friendly
 * sizes: up to 16 MiB, including the 16 MiB message sent as 65,536 fragments of 256 bytes.
 */
import { encodeClientFrame } from '../../helpers/raw-client.js';
import { BINARY, CONT, TEXT, asciiText, pseudoRandomBytes, sendChunked } from '../cases.js';
import type { Case, Expected } from '../cases.js';

const KiB = 1024;
const MiB = 1024 * KiB;
const BIG = { timeoutMs: 15_000 } as const;

/** The frames of `payload` cut into fragments of `size` bytes. */
function fragmented(opcode: number, payload: Buffer, size: number): Buffer {
  const frames: Buffer[] = [];
  for (let i = 0; i < payload.length; i += size) {
    const last = i + size >= payload.length;
    frames.push(encodeClientFrame(i === 0 ? opcode : CONT, payload.subarray(i, i + size), { fin: last }));
  }
  return Buffer.concat(frames);
}

const sizes = [64 * KiB, 1 * MiB, 16 * MiB];
const text16 = asciiText(16 * MiB);
const bin16 = pseudoRandomBytes(16 * MiB, 9);

const cases: Case[] = [
  ...sizes.map((n, i): Case => ({ id: `9.1.${i + 1}`, title: `text message of ${n} bytes`, send: (c) => c.sendFrame(TEXT, text16.subarray(0, n)), expect: [[TEXT, text16.subarray(0, n)]], ...BIG })),
  ...sizes.map((n, i): Case => ({ id: `9.2.${i + 1}`, title: `binary message of ${n} bytes`, send: (c) => c.sendFrame(BINARY, bin16.subarray(0, n)), expect: [[BINARY, bin16.subarray(0, n)]], ...BIG })),
  {
    id: '9.3.1',
    title: '4 MiB text in 65,536 fragments of 64 bytes',
    send: (c) => c.send(fragmented(TEXT, text16.subarray(0, 4 * MiB), 64)),
    expect: [[TEXT, text16.subarray(0, 4 * MiB)]],
    ...BIG,
  },
  {
    id: '9.3.2',
    title: '16 MiB text in 65,536 fragments of 256 bytes (within the default fragment cap)',
    send: (c) => c.send(fragmented(TEXT, text16, 256)),
    expect: [[TEXT, text16]],
    ...BIG,
  },
  {
    id: '9.4.1',
    title: '16 MiB binary in fragments of 1 MiB',
    send: (c) => c.send(fragmented(BINARY, bin16, MiB)),
    expect: [[BINARY, bin16]],
    ...BIG,
  },
  {
    id: '9.5.1',
    title: '1 MiB text written in chunks of 4 KiB',
    send: (c) => sendChunked(c, encodeClientFrame(TEXT, text16.subarray(0, MiB)), 4 * KiB),
    expect: [[TEXT, text16.subarray(0, MiB)]],
    ...BIG,
  },
  {
    id: '9.6.1',
    title: '1 MiB binary written in chunks of 64 KiB',
    send: (c) => sendChunked(c, encodeClientFrame(BINARY, bin16.subarray(0, MiB)), 64 * KiB),
    expect: [[BINARY, bin16.subarray(0, MiB)]],
    ...BIG,
  },
  {
    id: '9.7.1',
    title: '1000 text messages of 16 bytes, echoed in order',
    send: (c) => c.send(...Array.from({ length: 1000 }, (_, i) => encodeClientFrame(TEXT, `message ${String(i).padStart(7, '0')}`))),
    expect: Array.from({ length: 1000 }, (_, i): Expected => [TEXT, `message ${String(i).padStart(7, '0')}`]),
  },
  {
    id: '9.8.1',
    title: '1000 binary messages of 16 bytes, echoed in order',
    send: (c) => c.send(...Array.from({ length: 1000 }, (_, i) => encodeClientFrame(BINARY, pseudoRandomBytes(16, i + 1)))),
    expect: Array.from({ length: 1000 }, (_, i): Expected => [BINARY, pseudoRandomBytes(16, i + 1)]),
  },
];

/** The cases of this file, by Autobahn section. */
export const SECTIONS: ReadonlyArray<readonly [name: string, cases: readonly Case[]]> = [['9 limits and big messages', cases]];

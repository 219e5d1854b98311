/**
 * Autobahn-style sections 12 and 13 (permessage-deflate, RFC 7692) against the echo server:
 * the `ws` client compresses every message (threshold 0), whole or in fragments, and the echo
 * must come back byte-for-byte. Section 12 varies size and fragment size under the default
 * parameters; section 13 repeats a smaller grid for each negotiated parameter set, with the
 * exact response header asserted. Sizes and counts are cut down from Autobahn's for CI.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import type { Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { PerMessageDeflateOptions as WsDeflateOptions } from 'ws';
import type { PerMessageDeflateOptions } from '../../server/socket/permessage-deflate.js';
import { closeDeflatePeers, expectEcho, openDeflatePeer, responseExtensions } from '../helpers/deflate-peer.js';
import { listenEcho, stopAll } from '../helpers/servers.js';
import { asciiText, pseudoRandomBytes } from './cases.js';

afterEach(closeDeflatePeers);
afterAll(stopAll);

const KiB = 1024;
const SIZES = [16, 64, 256, 1024, 4 * KiB, 16 * KiB, 64 * KiB, 256 * KiB];
const FRAGMENTS = [undefined, 256, 4 * KiB, 64 * KiB] as const;
const LARGEST = SIZES[SIZES.length - 1]!;

/** JSON-like multi-byte text: fragments cut UTF-8 sequences, so only the inflated message is valid. */
function utf8Text(length: number): Buffer {
  const unit = Buffer.from('{"user":"Zoë","text":"héllo wörld ✓ — ça va? 日本語","n":12345},');
  const out = Buffer.alloc(length + unit.length);
  for (let i = 0; i < out.length; i += unit.length) unit.copy(out, i);
  // cut back to a character boundary at or below `length`
  let end = length;
  while (end > 0 && (out[end]! & 0xc0) === 0x80) end--;
  return out.subarray(0, end);
}

const KINDS = [
  { id: 1, title: 'text (ASCII)', isBinary: false, data: asciiText(LARGEST) },
  { id: 2, title: 'binary (compressible)', isBinary: true, data: Buffer.from(asciiText(LARGEST).map((b) => b & 0x0f)) },
  { id: 3, title: 'binary (incompressible)', isBinary: true, data: pseudoRandomBytes(LARGEST, 12) },
  { id: 4, title: 'text (multi-byte UTF-8)', isBinary: false, data: utf8Text(LARGEST) },
] as const;

/** Echo servers by configuration, started on first use; `socket` is the last connection's TCP socket. */
const servers = new Map<string, { port: number; socket: () => Socket | undefined }>();
async function echoServer(perMessageDeflate: PerMessageDeflateOptions): Promise<{ port: number; socket: () => Socket | undefined }> {
  const key = JSON.stringify(perMessageDeflate);
  const known = servers.get(key);
  if (known !== undefined) return known;
  const { wss, port } = await listenEcho({ perMessageDeflate, maxPayload: 1024 * KiB });
  let last: Socket | undefined;
  wss.on('connection', (_conn, req) => {
    last = req.socket;
  });
  const started = { port, socket: () => last };
  servers.set(key, started);
  return started;
}

function payloadOf(data: Buffer, size: number, isBinary: boolean): Buffer {
  return isBinary ? data.subarray(0, size) : data === KINDS[3].data ? utf8Text(size) : data.subarray(0, size);
}

describe('Autobahn section 12: compressed messages, default parameters', () => {
  for (const kind of KINDS) {
    describe(`12.${kind.id} ${kind.title}`, () => {
      let n = 0;
      for (const size of SIZES) {
        for (const fragment of FRAGMENTS) {
          if (fragment !== undefined && fragment >= size) continue;
          n++;
          const title = `12.${kind.id}.${n} ${size} bytes${fragment === undefined ? '' : ` in fragments of ${fragment}`}, twice`;
          it(title, { timeout: 20_000 }, async () => {
            const server = await echoServer({ threshold: 0 });
            const ws = await openDeflatePeer(server.port);
            expect(responseExtensions(ws)).toBe('permessage-deflate');
            const payload = payloadOf(kind.data, size, kind.isBinary);
            // twice: the second message is compressed against the first (context takeover)
            await expectEcho(ws, payload, kind.isBinary, fragment);
            const written = server.socket()!.bytesWritten;
            await expectEcho(ws, payload, kind.isBinary, fragment);
            if (kind.id !== 3 && size >= 4 * KiB) {
              // the echo really went out compressed: far fewer bytes than the message
              expect(server.socket()!.bytesWritten - written).toBeLessThan(size / 4);
            }
          });
        }
      }
    });
  }
});

interface ParameterSet {
  readonly title: string;
  /** What the server is configured with (threshold 0 added). */
  readonly server?: PerMessageDeflateOptions;
  /** What the `ws` client offers. */
  readonly client: WsDeflateOptions;
  /** The exact `Sec-WebSocket-Extensions` response. */
  readonly response: string;
}

// Autobahn 13.x offers, plus sets where the server imposes parameters of its own.
const PARAMETER_SETS: readonly ParameterSet[] = [
  { title: 'default offer', client: {}, response: 'permessage-deflate' },
  { title: 'client_no_context_takeover', client: { clientNoContextTakeover: true }, response: 'permessage-deflate; client_no_context_takeover' },
  { title: 'client_max_window_bits=8', client: { clientMaxWindowBits: 8 }, response: 'permessage-deflate; client_max_window_bits=8' },
  { title: 'client_max_window_bits=15', client: { clientMaxWindowBits: 15 }, response: 'permessage-deflate; client_max_window_bits=15' },
  {
    title: 'client_no_context_takeover, client_max_window_bits=8',
    client: { clientNoContextTakeover: true, clientMaxWindowBits: 8 },
    response: 'permessage-deflate; client_no_context_takeover; client_max_window_bits=8',
  },
  {
    title: 'client_no_context_takeover, client_max_window_bits=15',
    client: { clientNoContextTakeover: true, clientMaxWindowBits: 15 },
    response: 'permessage-deflate; client_no_context_takeover; client_max_window_bits=15',
  },
  {
    title: 'server_no_context_takeover, server_max_window_bits=9 (offered)',
    client: { serverNoContextTakeover: true, serverMaxWindowBits: 9 },
    response: 'permessage-deflate; server_no_context_takeover; server_max_window_bits=9',
  },
  {
    title: 'server imposes no context takeover both ways',
    server: { serverNoContextTakeover: true, clientNoContextTakeover: true },
    client: {},
    response: 'permessage-deflate; server_no_context_takeover; client_no_context_takeover',
  },
  {
    title: 'server imposes window bits 10 both ways',
    server: { serverMaxWindowBits: 10, clientMaxWindowBits: 10 },
    client: {},
    response: 'permessage-deflate; server_max_window_bits=10; client_max_window_bits=10',
  },
];

const SIZES_13 = [16, 1024, 64 * KiB, 256 * KiB];

describe('Autobahn section 13: compressed messages for each negotiated parameter set', () => {
  PARAMETER_SETS.forEach((set, i) => {
    for (const fragment of [undefined, 4 * KiB]) {
      const title = `13.${i + 1}.${fragment === undefined ? 1 : 2} ${set.title}: ${SIZES_13.join(', ')} bytes${fragment === undefined ? '' : ` in fragments of ${fragment}`}`;
      it(title, { timeout: 20_000 }, async () => {
        const server = await echoServer({ threshold: 0, ...set.server });
        const ws = await openDeflatePeer(server.port, set.client);
        expect(responseExtensions(ws)).toBe(set.response);
        expect(ws.extensions).toBe('permessage-deflate');
        for (const size of SIZES_13) {
          for (const kind of [KINDS[0], KINDS[1], KINDS[3]]) {
            const payload = payloadOf(kind.data, size, kind.isBinary);
            await expectEcho(ws, payload, kind.isBinary, fragment);
            await expectEcho(ws, payload, kind.isBinary, fragment);
          }
        }
      });
    }
  });
});

describe('the built CLI with --deflate (child process; needs npm run build)', () => {
  it('negotiates and echoes a section-12 grid sample exactly', { timeout: 20_000 }, async () => {
    const root = fileURLToPath(new URL('../../', import.meta.url));
    if (!existsSync(`${root}dist/cli.js`)) throw new Error('dist/cli.js is missing: run "npm run build" first');
    const child = spawn(process.execPath, ['bin/tandem.mjs', 'echo', '--port', '0', '--host', '127.0.0.1', '--deflate'], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    try {
      const port = await new Promise<number>((resolve, reject) => {
        let out = '';
        child.stdout.on('data', (c: Buffer) => {
          out += c.toString();
          const m = /^listening (\d+)\n$/.exec(out);
          if (m) resolve(Number(m[1]));
        });
        child.once('exit', (code) => reject(new Error(`CLI exited with ${code}: ${out}`)));
      });
      const ws = await openDeflatePeer(port);
      expect(responseExtensions(ws)).toBe('permessage-deflate');
      for (const kind of KINDS) {
        await expectEcho(ws, payloadOf(kind.data, 16, kind.isBinary), kind.isBinary);
        await expectEcho(ws, payloadOf(kind.data, 64 * KiB, kind.isBinary), kind.isBinary, 4 * KiB);
      }
    } finally {
      child.kill('SIGKILL');
      await exited;
    }
  });
});

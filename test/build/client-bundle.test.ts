/**
 * The browser bundles (after `npm run build`): the client ESM entry with every chunk it imports,
 * and the UMD file, contain no `node:` import and none of the RFC 6455 engine or server code,
 * and the UMD stays within its gzipped size budget.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';

const dist = fileURLToPath(new URL('../../dist/', import.meta.url));

function read(file: string): string {
  if (!existsSync(file)) throw new Error(`${file} is missing: run \`npm run build\` first`);
  return readFileSync(file, 'utf8');
}

/** dist/client.js and every relative module it imports, transitively. */
function clientGraph(): string[] {
  const seen = new Set<string>();
  const visit = (file: string): void => {
    if (seen.has(file)) return;
    seen.add(file);
    for (const [, spec] of read(file).matchAll(/(?:from|import)\s*['"]([^'"]+)['"]/g)) {
      if (spec!.startsWith('.')) visit(join(dirname(file), spec!));
    }
  };
  visit(join(dist, 'client.js'));
  return [...seen];
}

/** Source files a bundle was built from, per its source map. */
function sourcesOf(file: string): string[] {
  return (JSON.parse(read(`${file}.map`)) as { sources: string[] }).sources;
}

describe('browser bundles', () => {
  const bundles = () => [...clientGraph(), join(dist, 'tandem.umd.js'), join(dist, 'tandem.umd.min.js')];

  it('import nothing from node: (nor require it)', () => {
    for (const file of bundles()) {
      expect(read(file), file).not.toMatch(/(?:from\s*|import\s*\(?\s*|require\s*\(\s*)['"]node:/);
    }
  });

  it('contain none of the RFC 6455 engine, the server, or the Node client (client/node, node/)', () => {
    const files = bundles();
    expect(files.length).toBeGreaterThan(3);
    for (const file of files) {
      const sources = sourcesOf(file);
      expect(sources.filter((s) => /rfc6455|(^|\/)server\/|(^|\/)client\/node\/|(^|\.\.\/)node\//.test(s)), file).toEqual([]);
    }
    // …and, independently of source maps, none of the engine's or the Node client's distinctive identifiers.
    for (const file of [...clientGraph(), join(dist, 'tandem.umd.js')]) {
      const code = read(file);
      for (const name of ['FrameParser', 'FrameWriter', 'ByteQueue', 'Sec-WebSocket-Accept', '258EAFA5-E914-47DA-95CA-C5AB0DC85B11', 'HandshakeError', 'ClientConnection', 'ResponseHeadReader', 'PerMessageDeflate']) {
        expect(code, `${file} contains ${name}`).not.toContain(name);
      }
    }
  });

  it('the Node build of tandem/client (its node condition) does carry the engine, so the scan above can see it', () => {
    const sources = sourcesOf(join(dist, 'client-node.js'));
    expect(sources.some((s) => s.includes('client/node/websocket.ts'))).toBe(true);
  });

  it('the UMD bundle holds the client and eventemitter3', () => {
    const sources = sourcesOf(join(dist, 'tandem.umd.js'));
    expect(sources.some((s) => s.includes('client/client.ts'))).toBe(true);
    expect(sources.some((s) => s.includes('eventemitter3'))).toBe(true);
  });

  it('is built from the script-tag entry (client/umd.ts), so what only npm users need is not kept alive', () => {
    const umd = read(join(dist, 'tandem.umd.js'));
    expect(umd).toMatch(/exports\.createClient = /);
    for (const name of ['ErrorCodes', 'RequestErrorCodes', 'jsonCodec', 'defineContract', 'CLIENT_DEFAULTS', 'TandemClient']) {
      expect(umd).not.toMatch(new RegExp(`exports\\.${name} = `));
    }
  });

  it('keeps the minified UMD within its gzipped size budget', () => {
    const gzipped = gzipSync(readFileSync(join(dist, 'tandem.umd.min.js')), { level: 9 }).byteLength;
    // Issue 3's target is 5 KB; 8,484 B at the first release, 7,631 B after the size pass
    // (eventemitter3 alone is ~1.15 KB of it; docs/client.md lists what the rest pays for).
    // The budget sits just above the measured size so any growth is a deliberate decision.
    // +327 B (7,658 → 7,985) for the issue 3 review fixes: connection epoch and in-order async validation, guarded lifecycle emits, attempt/network split.
    // +287 B (8,027 → 8,314) for the session resume wire fields and the Conversation's duplicate check
    // (docs/protocol.md §10); issue 14 brings the whole client, resume included, to ≤ 7 KB.
    // +131 B (8,023 → 8,154) for issue 9: the `logger` option (an error nobody listens to is still
    // written once), the failing listener or handler named in it, and the server's handler-table lookup.
    // +1,650 B for client-side session resume: the src/session blocks it runs on (outbound log,
    // acknowledger, channel) and client/session.ts. Measured after merging everything: see below.
    // +59 B (8,023 → 8,082) for issue 12: the transport's error cause carried to the lifecycle 'error' and the close info, and the handshake codes in ErrorCodes.
    // +2,967 B (8,027 → 10,994) for issue 13, "nothing fails silently": option and URL checks
    // (~1.1 kB), refusing payloads JSON cannot carry (~0.6 kB), the debug trace (~0.5 kB, instead
    // of the debug package's several kB), failed-connection reports (~0.35 kB). docs/client.md#size.
    // −215 B (13,205 → 12,990) for the issue 14 size pass, every feature, message and test kept: the
    // client checks options against its own kinds only, a shorter trace summary and DEBUG matcher,
    // terser `sequences: false, inline: 1`, one binary-data helper, the acknowledger reading the
    // channel's options, one envelopeError factory (docs/client.md#size has the per-change log).
    // +57 B (13,050 → 13,107 by zlib) for resume across nodes: a session channel can start from
    // positions adopted from another node (src/session, shared with the server).
    expect(gzipped).toBeLessThanOrEqual(13_120);
  });
});

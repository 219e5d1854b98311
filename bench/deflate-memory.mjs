/**
 * Memory per connection with permessage-deflate on vs off (not a timed test: a figure to read).
 *
 * For each row a fresh echo server runs in its own process (`bin/tandem.mjs echo`, with
 * `--deflate` where the row says so); N `ws` clients connect, each exchanges one message above
 * the compression threshold (so both zlib streams exist wherever the negotiation keeps them),
 * and the server's RSS growth over its idle baseline is divided by N.
 *
 * Usage: node bench/deflate-memory.mjs [--connections 300] [--message-bytes 2048]
 *        (run `npm run build` first: it uses dist/ through bin/tandem.mjs)
 */
import { parseArgs } from 'node:util';
import WebSocket from 'ws';
import { rssBytes } from './proc-stat.mjs';
import { startServer, tandemMissing } from './server-process.mjs';

const { values: args } = parseArgs({
  options: {
    connections: { type: 'string', default: '300' },
    'message-bytes': { type: 'string', default: '2048' },
  },
});
const CONNECTIONS = Number(args.connections);
const MESSAGE_BYTES = Number(args['message-bytes']);
const BATCH = 50;
const SETTLE_MS = 500;

const ECHO = ['bin/tandem.mjs', 'echo', '--port', '0', '--host', '127.0.0.1'];
const ROWS = [
  { label: 'deflate off (client offers, server declines)', deflate: false, offer: {} },
  { label: 'deflate on, context takeover (browser default)', deflate: true, offer: {} },
  { label: 'deflate on, no context takeover both ways', deflate: true, offer: { serverNoContextTakeover: true, clientNoContextTakeover: true } },
];

/** A JSON-ish text message: what permessage-deflate is for. */
function message(bytes) {
  const unit = '{"type":"event","name":"chat","payload":{"room":"lobby","text":"hello there"}},';
  return unit.repeat(Math.ceil(bytes / unit.length)).slice(0, bytes);
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function connectAndEcho(port, offer, payload) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/`, { perMessageDeflate: { threshold: 0, ...offer } });
    ws.once('error', reject);
    ws.once('open', () => ws.send(payload));
    ws.once('message', (data) => {
      if (data.toString() !== payload) reject(new Error('echo differs from the message sent'));
      else resolve(ws);
    });
  });
}

async function measure(row) {
  const server = await startServer({ id: row.label, argv: row.deflate ? [...ECHO, '--deflate'] : ECHO });
  const clients = [];
  try {
    await sleep(SETTLE_MS);
    const baseline = rssBytes(server.pid);
    const payload = message(MESSAGE_BYTES);
    for (let i = 0; i < CONNECTIONS; i += BATCH) {
      const batch = Math.min(BATCH, CONNECTIONS - i);
      clients.push(...(await Promise.all(Array.from({ length: batch }, () => connectAndEcho(server.port, row.offer, payload)))));
    }
    await sleep(SETTLE_MS);
    const loaded = rssBytes(server.pid);
    return { label: row.label, extensions: clients[0]?.extensions || '(none)', baseline, loaded, perConnection: (loaded - baseline) / CONNECTIONS };
  } finally {
    for (const ws of clients) ws.terminate();
    await server.stop();
  }
}

const kib = (bytes) => `${(bytes / 1024).toFixed(1)} KiB`;
const mib = (bytes) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;

async function main() {
  const missing = tandemMissing();
  if (missing !== null) throw new Error(`${missing}: run "npm run build" first`);
  console.log(`permessage-deflate memory: ${CONNECTIONS} ws clients, one ${MESSAGE_BYTES}-byte text message each\n`);
  const results = [];
  for (const row of ROWS) results.push(await measure(row));
  const header = ['server', 'negotiated', 'RSS idle', 'RSS loaded', 'per connection'];
  const lines = results.map((r) => [r.label, r.extensions, mib(r.baseline), mib(r.loaded), kib(r.perConnection)]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
  const format = (cells) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
  console.log(format(header));
  console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  for (const line of lines) console.log(format(line));
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});

/**
 * Where the client's debug trace is switched on and where it goes: `DEBUG` in Node (the `debug`
 * package's variable), `localStorage.debug` in a page, read once per client. Lines go to stderr in
 * Node and to `console.debug` in a page — the one place the client writes to the console, and
 * only when the user asked for it.
 */
import { jsonCodec } from '../src/codec.js';
import type { Codec } from '../src/codec.js';
import { createTrace, tracedCodec } from '../src/debug.js';
import type { Trace } from '../src/debug.js';

type Host = {
  process?: { env?: Record<string, string | undefined>; stderr?: { write(line: string): unknown } };
  localStorage?: { getItem(key: string): string | null };
  console?: { debug(line: string): void };
};

function spec(host: Host): string | undefined {
  try {
    return host.process?.env?.DEBUG ?? host.localStorage?.getItem('debug') ?? undefined;
  } catch {
    return undefined; // localStorage throws in sandboxed frames: no trace, never a crash
  }
}

/** The trace of `namespace` (`tandem:client`, `tandem:client:wire`). */
export function clientTrace(namespace: string): Trace {
  const host = globalThis as Host;
  return createTrace(namespace, spec(host), (line) => {
    if (host.process?.stderr) host.process.stderr.write(`${new Date().toISOString()} ${line}\n`);
    else host.console?.debug(line);
  });
}

/** One line for a lifecycle event (`state open connecting`, `close {"code":1006,…}`, `error ERR_… message`). */
export function lifecycleLine(event: string, args: readonly unknown[]): string {
  const parts = args.map((a) => (a instanceof Error ? `${(a as { code?: string }).code ?? a.name} ${a.message}` : JSON.stringify(a)));
  return [event, ...parts].join(' ');
}

/** The codec with the wire trace (`tandem:client:wire`) around it, when that is switched on. */
export function wireCodec(codec: Codec | undefined): Codec {
  return tracedCodec(codec ?? jsonCodec, clientTrace('tandem:client:wire'));
}

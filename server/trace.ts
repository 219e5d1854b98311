/**
 * The server's debug trace: switched on by `DEBUG` (read once per server), written to stderr with
 * an ISO timestamp, as the `debug` package does when stderr is not a terminal.
 */
import { createTrace } from '../src/debug.js';
import type { Trace } from '../src/debug.js';

/** The trace of `namespace` (`tandem:server`, `tandem:server:wire`, `tandem:socket`). */
export function serverTrace(namespace: string): Trace {
  return createTrace(namespace, process.env.DEBUG, (line) => process.stderr.write(`${new Date().toISOString()} ${line}\n`));
}

/** One line for a server event: peers by id, errors by code and message. */
export function serverLine(event: string, args: readonly unknown[]): string {
  const parts = args.map((a) => {
    if (a instanceof Error) return `${(a as { code?: string }).code ?? a.name} ${a.message}`;
    if (typeof a === 'object' && a !== null && 'id' in a) return `peer ${String((a as { id: unknown }).id)}`;
    return a === undefined ? '' : JSON.stringify(a);
  });
  return [event, ...parts].filter((p) => p !== '').join(' ');
}

/**
 * Where Tandem reports an error nobody listens to. Both ends take a `logger` option: an error
 * reported while no `'error'` listener exists is written here once instead of vanishing
 * (eventemitter3 does not throw on an unheard `'error'`). `false` turns it off.
 */

/** Receives errors no listener heard. */
export interface Logger {
  /** `message` names what failed and where (event or method, peer); `error` is what was thrown or reported. */
  error(message: string, error: unknown): void;
}

/** The `logger` option of `createClient` and `createServer`. */
export type LoggerOption = Logger | false | undefined;

// The host's console: ECMAScript does not define it, every target platform does (as with timers
// in scheduler.ts, this is the one place src/ names it).
declare const console: { error(...data: unknown[]): void };

/** The default logger: one `console.error` line per error. */
export const consoleLogger: Logger = Object.freeze({
  error: (message: string, error: unknown) => console.error(message, error),
});

/** The logger an option selects: the default when absent, none for `false`. */
export function loggerFrom(option: LoggerOption): Logger | undefined {
  if (option === false) return undefined;
  return option ?? consoleLogger;
}

/**
 * Access to Tandem's sans-I/O engine from the built dist/rfc6455.js, for the micro-benchmarks.
 * The engine is being written alongside this suite, so every piece is looked up at run time and
 * a missing export becomes a "not available" line rather than a crash.
 */
import { existsSync } from 'node:fs';

const ENGINE_URL = new URL('../../dist/rfc6455.js', import.meta.url);

/** @returns {Promise<Record<string, unknown>>} the engine's exports, or {} when not built */
export async function loadEngine() {
  if (!existsSync(ENGINE_URL)) return {};
  try {
    return await import(ENGINE_URL.href);
  } catch {
    return {};
  }
}

/**
 * The first function-valued export among `names`.
 * @param {Record<string, unknown>} engine
 * @param {string[]} names
 * @returns {{ name: string, fn: Function } | null}
 */
export function pick(engine, names) {
  for (const name of names) {
    if (typeof engine[name] === 'function') return { name, fn: engine[name] };
  }
  return null;
}

/** The reason line for a missing engine piece. @param {string[]} names */
export function missing(names) {
  return `not available (dist/rfc6455.js exports none of ${names.join(', ')})`;
}

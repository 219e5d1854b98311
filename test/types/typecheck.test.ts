import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

// The type tests (`@ts-expect-error` cases, expectTypeOf) and the layer rules (src/ compiles with
// no Node and no DOM types, client/ with no Node types, the Node-only folders with no DOM types) are enforced by the compiler: run it here
// so a type error is a failing test, not a silent pass.
const root = fileURLToPath(new URL('../..', import.meta.url));
const tsc = `${root}/node_modules/typescript/bin/tsc`;
const run = promisify(execFile);

async function typecheck(project: string): Promise<string> {
  try {
    await run(process.execPath, [tsc, '-p', project, '--noEmit', '--pretty', 'false'], { cwd: root });
    return '';
  } catch (err) {
    return String((err as { stdout?: string }).stdout ?? err);
  }
}

describe('type checking', () => {
  it.each([
    ['tsconfig.json', 'everything, type tests included'],
    ['src/tsconfig.json', 'src/: ES2022 only, no Node or DOM'],
    ['client/tsconfig.json', 'client/: DOM, no Node'],
    ['server/tsconfig.json', 'server/: Node, no DOM'],
    ['node/tsconfig.json', 'node/: Node, no DOM (shared by server/ and client/node/)'],
    ['client/node/tsconfig.json', 'client/node/: Node, no DOM'],
  ])('%s compiles with no error (%s)', async (project) => {
    expect(await typecheck(project)).toBe('');
  }, 120_000);
});

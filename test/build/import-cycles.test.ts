import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// DESIGN.md "Layout": never let two files import each other. madge reads the TypeScript imports
// (type-only ones included) and prints the cycles it finds as JSON.
const root = fileURLToPath(new URL('../..', import.meta.url));
const madge = `${root}/node_modules/.bin/madge`;

function cycles(...paths: string[]): string[][] {
  const run = spawnSync(madge, ['--circular', '--json', '--extensions', 'ts', '--ts-config', 'tsconfig.json', ...paths], {
    cwd: root,
    encoding: 'utf8',
    timeout: 60_000,
  });
  expect(run.error).toBeUndefined();
  return JSON.parse(run.stdout) as string[][];
}

describe('import cycles (madge --circular)', () => {
  it('finds none in src/, node/, client/ and server/', () => {
    expect(cycles('src', 'node', 'client', 'server')).toEqual([]);
  });

  it('reports a cycle when there is one (the check can fail)', () => {
    expect(cycles('test/build/fixtures/cycle')).toEqual([['a.ts', 'b.ts']]);
  });
});

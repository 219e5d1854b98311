import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// Runs against the built package (npm test builds first): what a user's import/require resolves to.
const root = fileURLToPath(new URL('../..', import.meta.url));
const pkg = JSON.parse(readFileSync(`${root}/package.json`, 'utf8')) as {
  exports: Record<string, ExportTarget>;
  dependencies: Record<string, string>;
  peerDependencies?: Record<string, string>;
};

type ExportTarget = string | { [condition: string]: ExportTarget };

/** Every file an exports target names, through nested conditions. */
function targetFiles(target: ExportTarget): string[] {
  return typeof target === 'string' ? [target] : Object.values(target).flatMap(targetFiles);
}

// Resolve through the package's own exports map, in a fresh Node process (not vitest's resolver).
function nodeEval(code: string, type: 'module' | 'commonjs', conditions: string[] = []): string {
  const args = [...conditions.map((c) => `--conditions=${c}`), `--input-type=${type}`, '-e', code];
  return execFileSync(process.execPath, args, { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
}

describe('package entries (built)', () => {
  it('has every file the exports map names', () => {
    for (const [entry, target] of Object.entries(pkg.exports)) {
      for (const file of targetFiles(target)) expect(existsSync(`${root}/${file}`), `${entry} → ${file}`).toBe(true);
    }
  });

  it('depends on eventemitter3 alone at run time', () => {
    expect(Object.keys(pkg.dependencies)).toEqual(['eventemitter3']);
  });

  it.each(['tandem', 'tandem/client', 'tandem/server'])('imports and requires %s with the same exports', (entry) => {
    const esm = nodeEval(`import * as m from '${entry}'; console.log(Object.keys(m).sort().join(','))`, 'module');
    const cjs = nodeEval(`console.log(Object.keys(require('${entry}')).sort().join(','))`, 'commonjs');
    expect(esm.length).toBeGreaterThan(0);
    expect(cjs).toBe(esm);
    expect(esm.split(',')).toContain('CloseCodes');
  });

  it('imports and requires tandem/redis (redis is an optional peer dependency, not bundled)', () => {
    const esm = nodeEval(`import * as m from 'tandem/redis'; console.log(Object.keys(m).sort().join(','))`, 'module');
    const cjs = nodeEval(`console.log(Object.keys(require('tandem/redis')).sort().join(','))`, 'commonjs');
    expect(esm.split(',')).toEqual(expect.arrayContaining(['redisAdapter', 'RedisAdapter', 'RedisErrorCodes', 'REDIS_ADAPTER_DEFAULTS']));
    expect(cjs).toBe(esm);
    expect(readFileSync(`${root}/dist/redis.js`, 'utf8')).toMatch(/from 'redis'/);
    expect(pkg.peerDependencies).toEqual({ redis: '^5 || ^6' });
  });

  it('tandem/client under Node carries Tandem\'s WebSocket (the node condition) and createClient uses it', () => {
    const node = nodeEval(`import * as m from 'tandem/client'; console.log(typeof m.WebSocket, typeof m.createClient)`, 'module');
    expect(node).toBe('function function');
    const cjs = nodeEval(`const m = require('tandem/client'); console.log(typeof m.WebSocket, new m.TandemClient('ws://127.0.0.1:1', { reconnect: false }).state)`, 'commonjs');
    expect(cjs).toBe('function connecting');
  });

  it('tandem/server under the browser condition throws a clear error', () => {
    expect(() => nodeEval(`await import('tandem/server')`, 'module', ['browser'])).toThrow(/tandem\/server runs on Node\.js only/);
  });

  it('the shared entry does not contain the RFC 6455 engine or Node imports', () => {
    const esm = readFileSync(`${root}/dist/index.js`, 'utf8');
    expect(esm).not.toMatch(/from ['"]node:/);
    expect(esm).not.toMatch(/rfc6455/);
  });
});

import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// The built tandem/proxy entry (npm test builds first), resolved through the exports map.
const root = fileURLToPath(new URL('../..', import.meta.url));

function nodeEval(code: string, type: 'module' | 'commonjs'): string {
  return execFileSync(process.execPath, [`--input-type=${type}`, '-e', code], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
}

describe('tandem/proxy entry (built)', () => {
  it('imports and requires with the same exports, and ships its types', () => {
    const esm = nodeEval(`import * as m from 'tandem/proxy'; console.log(Object.keys(m).sort().join(','))`, 'module');
    const cjs = nodeEval(`console.log(Object.keys(require('tandem/proxy')).sort().join(','))`, 'commonjs');
    expect(cjs).toBe(esm);
    expect(esm.split(',')).toEqual(expect.arrayContaining(['createProxy', 'cutSchedule', 'FaultProxy', 'ProxyOptionError', 'PROXY_DEFAULTS']));
    expect(existsSync(`${root}/dist/proxy.d.ts`)).toBe(true);
  });

  it('runs: a proxy from the CJS build listens and closes', () => {
    const code = `const { createProxy } = require('tandem/proxy');
      createProxy({ target: '127.0.0.1:1' }).then(async (p) => { console.log(p.port > 0, p.host); await p.close(); });`;
    expect(nodeEval(code, 'commonjs')).toBe('true 127.0.0.1');
  });
});

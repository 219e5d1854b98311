import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONSUMER_APPS, consumerFiles } from './consumer-apps.js';

// What a user installs: ONE `npm pack` of the built package (npm test builds first), linted by
// publint and attw, and type-checked by small consumer apps with TypeScript 5.9 and 7.
const root = fileURLToPath(new URL('../..', import.meta.url));
const run = promisify(execFile);
const compilers = {
  'ts5.9': join(root, 'node_modules/typescript/bin/tsc'),
  ts7: join(root, 'tools/ts7/node_modules/typescript/bin/tsc'),
} as const;

let work: string;
let tarball: string;

/** Runs a command; resolves to its output, with the exit code (0 on success). */
async function capture(file: string, args: string[], cwd: string): Promise<{ code: number; output: string }> {
  try {
    const { stdout, stderr } = await run(file, args, { cwd, maxBuffer: 16 * 1024 * 1024, env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' } });
    return { code: 0, output: stdout + stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : 1, output: `${e.stdout ?? ''}${e.stderr ?? ''}` || String(err) };
  }
}

/** Runs the jobs at most `limit` at a time (the machine is shared). */
async function pool<T>(jobs: (() => Promise<T>)[], limit: number): Promise<T[]> {
  const results: T[] = new Array(jobs.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < jobs.length) {
      const i = next++;
      results[i] = await jobs[i]!();
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, jobs.length) }, worker));
  return results;
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'tandem-pack-'));
  const packed = await capture('npm', ['pack', '--silent', '--pack-destination', work], root);
  expect(packed.code, packed.output).toBe(0);
  tarball = join(work, readdirSync(work).find((f) => f.endsWith('.tgz'))!);
  // The apps resolve `tandem` from the unpacked tarball; its dependency and @types/node from ours.
  const modules = join(work, 'node_modules');
  mkdirSync(join(modules, 'tandem'), { recursive: true });
  mkdirSync(join(modules, '@types'));
  const untar = await capture('tar', ['-xzf', tarball, '-C', join(modules, 'tandem'), '--strip-components=1'], work);
  expect(untar.code, untar.output).toBe(0);
  // `redis` (and its @redis/* packages): tandem/redis's optional peer dependency, which its user has installed.
  for (const dep of ['eventemitter3', 'undici-types', '@types/node', 'redis', '@redis']) symlinkSync(join(root, 'node_modules', dep), join(modules, dep), 'dir');
  for (const app of CONSUMER_APPS) {
    const dir = join(work, 'apps', app.name);
    mkdirSync(dir, { recursive: true });
    for (const [file, text] of Object.entries(consumerFiles(app))) writeFileSync(join(dir, file), text);
  }
}, 60_000);

afterAll(() => {
  if (work !== undefined) rmSync(work, { recursive: true, force: true });
});

describe('the packed package', () => {
  it('passes publint --strict', async () => {
    const result = await capture(process.execPath, [join(root, 'node_modules/publint/src/cli.js'), 'run', tarball, '--strict'], root);
    expect(result.output).not.toMatch(/Warnings:|Errors:|Suggestions:/);
    expect(result.code, result.output).toBe(0);
  }, 60_000);

  it('passes attw (are the types wrong) for every entry and resolution mode', async () => {
    const result = await capture(process.execPath, [join(root, 'node_modules/@arethetypeswrong/cli/dist/index.js'), tarball, '--no-definitely-typed', '--format', 'ascii'], root);
    expect(result.code, result.output).toBe(0);
  }, 60_000);

  it('ships declarations for both module systems and no stray files', async () => {
    const list = await capture('tar', ['-tzf', tarball], work);
    const files = list.output.split('\n').filter(Boolean).map((f) => f.replace(/^package\//, ''));
    for (const entry of ['index', 'client', 'client-node', 'server', 'proxy', 'redis']) {
      expect(files).toContain(`dist/${entry}.d.ts`);
      expect(files).toContain(`dist/${entry}.d.cts`);
    }
    expect(files).toContain('LICENSE');
    // The engine entry is for the repo's benchmarks only: no export, so not shipped.
    expect(files.filter((f) => f.startsWith('dist/rfc6455'))).toEqual([]);
  });

  it('imports eventemitter3 by name in every declaration file (its default import breaks node16 resolution)', () => {
    const dist = join(work, 'node_modules/tandem/dist');
    const declarations = readdirSync(dist, { recursive: true, encoding: 'utf8' }).filter((f) => /\.d\.c?ts$/.test(f));
    expect(declarations.length).toBeGreaterThanOrEqual(8);
    for (const file of declarations) {
      const text = readFileSync(join(dist, file), 'utf8');
      expect(text, file).not.toMatch(/import\s+EventEmitter\s+from\s+['"]eventemitter3['"]/);
      expect(text, file).not.toMatch(/import\s+['"]eventemitter3['"]/); // a bare (hoisted) import names nothing
      // (A mention in a comment is not an import: only the module specifier counts.)
      if (/['"]eventemitter3['"]/.test(text)) expect(text, file).toMatch(/import \{ EventEmitter \} from 'eventemitter3'/);
    }
  });

  it('ships source maps that work from the package: sources embedded, paths relative to the map', () => {
    const dist = join(work, 'node_modules/tandem/dist');
    const maps = readdirSync(dist, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.map'));
    expect(maps.length).toBeGreaterThan(10);
    for (const map of maps) {
      const parsed = JSON.parse(readFileSync(join(dist, map), 'utf8')) as { sources: string[]; sourcesContent?: unknown[] };
      expect(parsed.sourcesContent?.length, map).toBe(parsed.sources.length);
      expect(parsed.sourcesContent!.every((text) => typeof text === 'string' && text.length > 0), map).toBe(true);
      // Relative to the map's folder, the repository's own files sit one folder above dist/
      // (node/: the Node code that client/node and server share).
      for (const source of parsed.sources.filter((s) => !s.includes('node_modules'))) {
        expect(relative(root, join(root, 'dist', dirname(map), source)), `${map}: ${source}`).toMatch(/^(src|client|server|node)\//);
      }
    }
  });

  it('type-checks consumer apps (ESM + CJS; node16, nodenext, bundler) with TypeScript 5.9 and 7, no skipLibCheck', async () => {
    // Apps with the same compiler options share one program (each file's module format still
    // comes from its own package.json), so @types/node is checked once per setting, not per app.
    const programs = new Map<string, string[]>();
    for (const app of CONSUMER_APPS) {
      const key = JSON.stringify(app.compilerOptions);
      programs.set(key, [...(programs.get(key) ?? []), app.name]);
    }
    const configs = [...programs].map(([options, apps], i) => {
      const dir = join(work, 'programs', String(i));
      mkdirSync(dir, { recursive: true });
      const files = apps.map((name) => `../../apps/${name}/app.ts`);
      writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions: JSON.parse(options) as object, files }));
      return { dir, apps };
    });
    const jobs = configs.flatMap(({ dir, apps }) =>
      Object.entries(compilers).map(([version, tsc]) => async () => {
        const result = await capture(process.execPath, [tsc, '-p', dir, '--pretty', 'false'], root);
        return { app: `${version} ${apps.join(' + ')}`, ...result };
      }),
    );
    const results = await pool(jobs, 3);
    const failures = results.filter((r) => r.code !== 0).map((r) => `${r.app}:\n${r.output}`);
    expect(failures.join('\n')).toBe('');
    expect(configs.flatMap((c) => c.apps).sort()).toEqual(CONSUMER_APPS.map((a) => a.name).sort());
  }, 120_000);
});

import { execFile } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

// Every ```ts block of README.md and docs/*.md is compiled against Tandem's real types, so the
// documentation cannot drift from the API. Each block is its own module, in a folder per page;
// `./contract` in a block is that page's contract block (a block declaring `export type Chat = {`),
// or the client guide's when the page has none. `tandem`, `tandem/client`, `tandem/server`,
// `tandem/proxy` and `tandem/redis` resolve to the sources; an import of `tandem/client` whose line
// says `node condition` resolves to the Node entry (client/node/index.ts), as Node resolves it.
// The free names examples use are declared in test/docs/globals.d.ts.
const root = fileURLToPath(new URL('../..', import.meta.url));
const out = join(root, '.tmp/doc-examples');

export interface Block {
  readonly page: string;
  readonly line: number;
  readonly code: string;
}

/** The ```ts / ```typescript blocks of a Markdown text, with their first line number. */
export function tsBlocks(page: string, markdown: string): Block[] {
  const blocks: Block[] = [];
  const lines = markdown.split('\n');
  for (let i = 0; i < lines.length; i++) {
    if (!/^```(ts|typescript)\s*$/.test(lines[i]!)) continue;
    const start = i + 1;
    while (++i < lines.length && lines[i] !== '```');
    blocks.push({ page, line: start + 1, code: lines.slice(start, i).join('\n') });
  }
  return blocks;
}

const pages = ['README.md', ...readdirSync(join(root, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];
const isContract = (code: string) => /^export type Chat = \{/m.test(code) && !/^import /m.test(code);
// The `node` export condition of tandem/client, for the lines that say they rely on it.
const NODE_CLIENT = 'tandem/client#node';
const withNodeCondition = (code: string) => code.replace(/^(import .* from )'tandem\/client';(.*node condition.*)$/gm, `$1'${NODE_CLIENT}';$2`);

function writeProject(): { blocks: Block[]; files: Map<string, Block> } {
  rmSync(out, { recursive: true, force: true });
  const all = pages.flatMap((page) => tsBlocks(page, readFileSync(join(root, page), 'utf8')));
  const fallback = all.find((b) => b.page === 'docs/client.md' && isContract(b.code));
  const files = new Map<string, Block>();
  for (const page of pages) {
    const dir = join(out, page.replace(/[/.]/g, '_'));
    mkdirSync(dir, { recursive: true });
    const blocks = all.filter((b) => b.page === page);
    const contract = blocks.find((b) => isContract(b.code)) ?? fallback;
    if (contract !== undefined) writeFileSync(join(dir, 'contract.ts'), contract.code);
    blocks.forEach((block, n) => {
      if (block === contract) return;
      const file = join(dir, `block-${n + 1}-line-${block.line}.ts`);
      writeFileSync(file, `${withNodeCondition(block.code)}\nexport {};\n`); // each block is a module
      files.set(relative(root, file), block);
    });
  }
  const rel = (p: string) => relative(out, join(root, p));
  const tsconfig = {
    compilerOptions: {
      target: 'ES2022',
      module: 'ESNext',
      moduleResolution: 'Bundler',
      lib: ['ES2022', 'DOM', 'DOM.Iterable'],
      types: ['node'],
      typeRoots: [rel('node_modules/@types')],
      strict: true,
      exactOptionalPropertyTypes: true,
      noUncheckedIndexedAccess: true,
      skipLibCheck: true,
      noEmit: true,
      allowImportingTsExtensions: false,
      paths: {
        tandem: [rel('src/index.ts')],
        'tandem/client': [rel('client/index.ts')],
        [NODE_CLIENT]: [rel('client/node/index.ts')],
        'tandem/server': [rel('server/index.ts')],
        'tandem/proxy': [rel('server/tools/proxy/index.ts')],
        'tandem/redis': [rel('server/redis/index.ts')],
      },
    },
    include: ['**/*.ts', rel('test/docs/globals.d.ts'), rel('test/docs/zod.d.ts')],
  };
  writeFileSync(join(out, 'tsconfig.json'), JSON.stringify(tsconfig, null, 2));
  return { blocks: all, files };
}

describe('documentation examples', () => {
  it('finds the examples of README.md and docs/*.md', () => {
    const { blocks } = writeProject();
    expect(blocks.filter((b) => b.page === 'README.md').length).toBeGreaterThanOrEqual(4);
    expect(new Set(blocks.map((b) => b.page))).toEqual(
      new Set(['README.md', 'docs/client.md', 'docs/cluster.md', 'docs/permessage-deflate.md', 'docs/proxy.md', 'docs/server.md', 'docs/typed-server.md']),
    );
  });

  it('compiles a line that relies on the node condition against the Node entry, and only that line', () => {
    expect(withNodeCondition("import { createClient, WebSocket } from 'tandem/client'; // Node: the node condition\nimport { x } from 'tandem/client';")).toBe(
      "import { createClient, WebSocket } from 'tandem/client#node'; // Node: the node condition\nimport { x } from 'tandem/client';",
    );
  });

  it('every ts block compiles against the real types', async () => {
    const { files } = writeProject();
    let output = '';
    try {
      await promisify(execFile)(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', join(out, 'tsconfig.json'), '--pretty', 'false'], { cwd: root });
    } catch (err) {
      output = String((err as { stdout?: string }).stdout ?? err);
    }
    // Point each error at the page and line it comes from.
    const located = output.replace(/^(\S+?block-\d+-line-(\d+)\.ts)\((\d+),(\d+)\)/gm, (_m, file: string, start: string, line: string) => {
      const block = files.get(relative(root, join(root, file))) ?? files.get(file);
      return `${block?.page ?? file}:${Number(start) + Number(line) - 1}`;
    });
    expect(located).toBe('');
  }, 120_000);
});

describe('documentation consistency', () => {
  const read = (page: string) => readFileSync(join(root, page), 'utf8');
  const sections = (text: string) => [...text.matchAll(/Autobahn sections ([0-9][0-9,\sand-]*[0-9])/g)].map((m) => m[1]!.replace(/\s+/g, ' '));

  it('README and docs/server.md list the same conformance sections', () => {
    const readme = sections(read('README.md'));
    const server = sections(read('docs/server.md'));
    expect(readme.length).toBeGreaterThan(0);
    expect(new Set([...readme, ...server])).toEqual(new Set(['1-7, 9, 12 and 13']));
  });

  it('the README speaks of size as a user needs it (no internal targets or test thresholds)', () => {
    const readme = read('README.md');
    expect(readme).toMatch(/about \d+ kB gzipped, eventemitter3 included/);
    // Only the paragraphs about size: elsewhere "target" is the proxy's option or a fuzz target.
    const aboutSize = readme.split(/\n\s*\n/).filter((paragraph) => /\bkB\b|gzip|bundle size|\bsize\b/i.test(paragraph));
    expect(aboutSize.length).toBeGreaterThan(0);
    for (const paragraph of aboutSize) expect(paragraph).not.toMatch(/target|build test keeps|threshold/i);
  });

  it('has a LICENSE the package ships and the README names', () => {
    expect(read('LICENSE')).toMatch(/^MIT License\n\nCopyright \(c\) Tandem contributors\n/);
    expect(read('README.md')).toContain('[LICENSE](LICENSE)');
    expect((JSON.parse(read('package.json')) as { files: string[]; license: string })).toMatchObject({ license: 'MIT', files: expect.arrayContaining(['LICENSE']) });
  });
});

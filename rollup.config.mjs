import typescript from '@rollup/plugin-typescript';
import resolve from '@rollup/plugin-node-resolve';
import commonjs from '@rollup/plugin-commonjs';
import terser from '@rollup/plugin-terser';
import { dts } from 'rollup-plugin-dts';
import path from 'node:path';

const entries = {
  index: 'src/index.ts',
  client: 'client/index.ts',
  // The `node` condition of tandem/client: the client plus Tandem's own WebSocket (never in a browser build).
  'client-node': 'client/node/index.ts',
  server: 'server/index.ts',
  proxy: 'server/tools/proxy/index.ts',
  redis: 'server/redis/index.ts',
  // Not in the package's exports map: the CLI (run by bin/tandem.mjs), and the engine and the
  // server's WebAssembly unmasker for benchmarks.
  cli: 'server/tools/cli.ts',
  rfc6455: 'src/rfc6455/index.ts',
  'wasm-unmasker': 'server/socket/wasm/wasm-unmasker.ts',
};
// `redis` (node-redis) is an optional peer dependency of tandem/redis, never bundled.
const external = (id) => id === 'eventemitter3' || id.startsWith('node:') || id === 'redis' || id.startsWith('@redis/');

// Source maps that work from the installed package: the sources' text is embedded
// (sourcesContent), and each `sources` path is made relative to the map's own folder.
// (The TypeScript plugin's paths climb one folder too many; what follows the `../`s is
// relative to the repository root.)
const mapPaths = (relativeSourcePath, sourcemapPath) =>
  path
    .relative(path.dirname(sourcemapPath), path.resolve(relativeSourcePath.replace(/^(\.\.\/)+/, '')))
    .split(path.sep)
    .join('/');

/**
 * The CommonJS twin of every bundled declaration file: `x.d.ts` → `x.d.cts`, with relative
 * imports pointing at the `.cjs` twins, so a `require` consumer (TypeScript node16/nodenext) sees
 * CommonJS types instead of ESM ones "masquerading" as CJS.
 */
const cjsDeclarations = () => ({
  name: 'cjs-declarations',
  generateBundle(_options, bundle) {
    for (const file of Object.values(bundle)) {
      if (file.type !== 'chunk' || !file.fileName.endsWith('.d.ts')) continue;
      this.emitFile({
        type: 'asset',
        fileName: file.fileName.replace(/\.d\.ts$/, '.d.cts'),
        // `from './x.js'` and bare side-effect imports (`import './x.js'`) alike.
        source: file.code.replace(/((?:from|import)\s+['"])(\.{1,2}\/[^'"]+)\.js(['"])/g, '$1$2.cjs$3'),
      });
    }
  },
});
const ts = () =>
  typescript({
    tsconfig: './tsconfig.json',
    include: ['src/**/*.ts', 'node/**/*.ts', 'client/**/*.ts', 'server/**/*.ts'],
    exclude: ['test/**', 'bench/**', 'demo/**'],
    compilerOptions: { noEmit: false, declaration: false, sourceMap: true, inlineSources: true, outDir: 'dist' },
    outputToFilesystem: false,
  });

export default [
  // ESM + CJS for the three entries (shared code in chunks, eventemitter3 and node:* external).
  {
    input: entries,
    external,
    plugins: [ts()],
    output: [
      { dir: 'dist', format: 'es', entryFileNames: '[name].js', chunkFileNames: 'chunks/[name]-[hash].js', sourcemap: true, sourcemapPathTransform: mapPaths },
      { dir: 'dist', format: 'cjs', entryFileNames: '[name].cjs', chunkFileNames: 'chunks/[name]-[hash].cjs', sourcemap: true, sourcemapPathTransform: mapPaths, exports: 'named' },
    ],
  },
  // The browser condition of tandem/server: a stub that throws a clear error.
  {
    input: { 'server-browser': 'server/browser.ts' },
    plugins: [ts()],
    output: { dir: 'dist', format: 'es', entryFileNames: '[name].js', sourcemap: true, sourcemapPathTransform: mapPaths },
  },
  // Bundled declarations, one per entry, each as .d.ts (ESM) and .d.cts (CommonJS).
  {
    input: { index: 'src/index.ts', client: 'client/index.ts', 'client-node': 'client/node/index.ts', server: 'server/index.ts', proxy: 'server/tools/proxy/index.ts', redis: 'server/redis/index.ts' },
    external,
    plugins: [dts({ tsconfig: './tsconfig.json' }), cjsDeclarations()],
    // No hoisted transitive imports: a declaration file needs only what it names (a bare
    // `import 'eventemitter3'` carried over from a chunk is noise to every type checker).
    output: { dir: 'dist', format: 'es', entryFileNames: '[name].d.ts', chunkFileNames: 'chunks/[name]-[hash].d.ts', hoistTransitiveImports: false },
  },
  // The client alone as UMD (global `Tandem`), eventemitter3 bundled in. Its own entry exports
  // only what a <script> user needs, so tree-shaking can drop the rest (size budget: issue 3).
  {
    input: 'client/umd.ts',
    plugins: [resolve({ browser: true }), commonjs({ strictRequires: false, defaultIsModuleExports: true }), ts()],
    output: [
      { file: 'dist/tandem.umd.js', format: 'umd', name: 'Tandem', exports: 'named', sourcemap: true, sourcemapPathTransform: mapPaths },
      {
        file: 'dist/tandem.umd.min.js',
        format: 'umd',
        name: 'Tandem',
        exports: 'named',
        sourcemap: true, sourcemapPathTransform: mapPaths,
        // No property mangling: every property is wire format or public API. Error classes keep
        // their names, because TandemError sets `name` from `new.target.name`. Statements stay
        // statements (`sequences: false`) and only simple functions are inlined (`inline: 1`):
        // longer minified text, but more repeated shapes, so it gzips smaller. (`pure_getters`,
        // `unsafe_*` were measured too: no gain worth assuming side-effect-free getters for.)
        plugins: [terser({ ecma: 2020, compress: { passes: 2, sequences: false, inline: 1 }, keep_classnames: /Error$/ })],
      },
    ],
  },
];

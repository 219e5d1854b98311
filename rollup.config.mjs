import typescript from '@rollup/plugin-typescript';
import resolve from '@rollup/plugin-node-resolve';
import commonjs from '@rollup/plugin-commonjs';
import terser from '@rollup/plugin-terser';
import { dts } from 'rollup-plugin-dts';

const entries = {
  index: 'src/index.ts',
  client: 'client/index.ts',
  server: 'server/index.ts',
  proxy: 'server/tools/proxy/index.ts',
  // Not in the package's exports map: the CLI (run by bin/tandem.mjs) and the engine for benchmarks.
  cli: 'server/tools/cli.ts',
  rfc6455: 'src/rfc6455/index.ts',
};
const external = (id) => id === 'eventemitter3' || id.startsWith('node:');
const ts = () =>
  typescript({
    tsconfig: './tsconfig.json',
    include: ['src/**/*.ts', 'client/**/*.ts', 'server/**/*.ts'],
    exclude: ['test/**', 'bench/**', 'demo/**'],
    compilerOptions: { noEmit: false, declaration: false, sourceMap: true, outDir: 'dist' },
    outputToFilesystem: false,
  });

export default [
  // ESM + CJS for the three entries (shared code in chunks, eventemitter3 and node:* external).
  {
    input: entries,
    external,
    plugins: [ts()],
    output: [
      { dir: 'dist', format: 'es', entryFileNames: '[name].js', chunkFileNames: 'chunks/[name]-[hash].js', sourcemap: true },
      { dir: 'dist', format: 'cjs', entryFileNames: '[name].cjs', chunkFileNames: 'chunks/[name]-[hash].cjs', sourcemap: true, exports: 'named' },
    ],
  },
  // The browser condition of tandem/server: a stub that throws a clear error.
  {
    input: { 'server-browser': 'server/browser.ts' },
    plugins: [ts()],
    output: { dir: 'dist', format: 'es', entryFileNames: '[name].js', sourcemap: true },
  },
  // Bundled declarations, one per entry.
  {
    input: { index: 'src/index.ts', client: 'client/index.ts', server: 'server/index.ts', proxy: 'server/tools/proxy/index.ts' },
    external,
    plugins: [dts({ tsconfig: './tsconfig.json' })],
    output: { dir: 'dist', format: 'es', entryFileNames: '[name].d.ts', chunkFileNames: 'chunks/[name]-[hash].d.ts' },
  },
  // The client alone as UMD (global `Tandem`), eventemitter3 bundled in. Its own entry exports
  // only what a <script> user needs, so tree-shaking can drop the rest (size budget: issue 3).
  {
    input: 'client/umd.ts',
    plugins: [resolve({ browser: true }), commonjs({ strictRequires: false, defaultIsModuleExports: true }), ts()],
    output: [
      { file: 'dist/tandem.umd.js', format: 'umd', name: 'Tandem', exports: 'named', sourcemap: true },
      {
        file: 'dist/tandem.umd.min.js',
        format: 'umd',
        name: 'Tandem',
        exports: 'named',
        sourcemap: true,
        // No property mangling: every property is wire format or public API. Error classes keep
        // their names, because TandemError sets `name` from `new.target.name`.
        plugins: [terser({ ecma: 2020, compress: { passes: 2 }, keep_classnames: /Error$/ })],
      },
    ],
  },
];

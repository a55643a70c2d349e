// Builds the browser SDK (called by scripts/build.mjs for `npm run build`, `npm test`, `npm start`):
//   sdk/dist/satu.min.js   script-tag bundle (IIFE, minified), also copied to collector/public/ for /satu.min.js
//   sdk/dist/satu.mjs      the npm module (ESM, self-contained) + sdk/dist/*.d.ts types
//   examples/spa/app.js    the SPA example, bundled from examples/spa/src with the npm module
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';
import { minify } from 'terser';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const at = (p) => path.join(root, p);

export async function build() {
  // es2021: `??=` stays as written (Chrome 85, Firefox 79, Safari 14), smaller than its lowering.
  const common = { bundle: true, target: 'es2021', legalComments: 'none', logLevel: 'warning' };
  await esbuild.build({
    ...common,
    entryPoints: [at('sdk/src/tag.ts')],
    outfile: at('sdk/dist/satu.min.js'),
    format: 'iife',
    minify: true,
    // Members named `_x` are internal (the queue's methods, the spill's, a call's `_make`): shortened
    // here. Never the public API, options, wire or stored field names, which are spelled without `_`.
    mangleProps: /^_/,
    // No "use strict" prologue (14 B brotli): the code is written as strict modules and behaves the
    // same without it; the tsconfig's `strict` would otherwise make esbuild add one to the IIFE.
    tsconfigRaw: { compilerOptions: { alwaysStrict: false } },
  });
  // A second pass with terser (safe options only): its compressor and frequency-ordered names make
  // the shipped file about 250 B brotli smaller than esbuild's minifier alone (every visitor downloads it).
  const tag = await minify(readFileSync(at('sdk/dist/satu.min.js'), 'utf8'), { ecma: 2020, compress: { passes: 3 } });
  writeFileSync(at('sdk/dist/satu.min.js'), tag.code);
  await esbuild.build({ ...common, entryPoints: [at('sdk/src/index.ts')], outfile: at('sdk/dist/satu.mjs'), format: 'esm' });
  // Types: declaration emit of the public entry and what it references.
  execFileSync(process.execPath, [at('node_modules/typescript/bin/tsc'), '-p', at('sdk/tsconfig.build.json')], { stdio: 'inherit' });
  mkdirSync(at('collector/public'), { recursive: true });
  copyFileSync(at('sdk/dist/satu.min.js'), at('collector/public/satu.min.js'));
  await esbuild.build({
    ...common,
    entryPoints: [at('examples/spa/src/main.ts')],
    outfile: at('examples/spa/app.js'),
    format: 'esm',
    minify: true,
    // The example imports the package by name, as an app would after `npm install @satu/sdk`.
    alias: { '@satu/sdk': at('sdk/dist/satu.mjs') },
  });
}

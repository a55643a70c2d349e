// Builds the marketer console (collector/console) into collector/public/console, where the
// collector serves it at /console. Prints the sizes, brotli included (the README quotes it).
import { copyFileSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import * as esbuild from 'esbuild';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const src = path.join(root, 'collector/console');
const out = path.join(root, 'collector/public/console');

/** Sizes of the built files in bytes: raw, gzip and brotli (quality 11, as CDNs serve it). */
export function sizes(files = ['index.html', 'app.js', 'app.css']) {
  return files.map((name) => {
    const bytes = readFileSync(path.join(out, name));
    return {
      name,
      raw: bytes.length,
      gzip: gzipSync(bytes, { level: 9 }).length,
      brotli: brotliCompressSync(bytes, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }).length,
    };
  });
}

export async function build({ quiet = false } = {}) {
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  await esbuild.build({
    entryPoints: { app: path.join(src, 'main.ts') },
    bundle: true,
    minify: true,
    format: 'esm',
    target: 'es2020',
    outdir: out,
    legalComments: 'none',
    logLevel: 'warning',
  });
  await esbuild.build({
    entryPoints: { app: path.join(src, 'styles.css') },
    bundle: true,
    minify: true,
    outdir: out,
    logLevel: 'warning',
  });
  copyFileSync(path.join(src, 'index.html'), path.join(out, 'index.html'));
  if (!quiet) {
    const all = sizes();
    const total = all.reduce((s, f) => s + f.brotli, 0);
    console.log(`console: ${all.map((f) => `${f.name} ${f.raw} B (${f.brotli} B br)`).join(', ')}; total ${total} B brotli`);
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await build();

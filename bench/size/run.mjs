// Size of the script-tag bundle against its budget: raw, gzip and brotli (max quality) bytes of
// sdk/dist/satu.min.js, beside idb-keyval alone (minified the same way) as a reference.
// Usage: node bench/size/run.mjs   (builds first). Exits 1 when over budget.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import * as esbuild from 'esbuild';
import { build } from '../../scripts/build-sdk.mjs';

const BUDGET = 5000;
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const measure = (bytes) => ({
  raw: bytes.length,
  gzip: gzipSync(bytes, { level: 9 }).length,
  brotli: brotliCompressSync(bytes, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }).length,
});

await build();
const sdk = measure(readFileSync(path.join(root, 'sdk/dist/satu.min.js')));
const idb = await esbuild.build({
  stdin: { contents: "export * from 'idb-keyval'", resolveDir: root },
  bundle: true, minify: true, format: 'esm', write: false, target: 'es2020',
});
const ref = measure(idb.outputFiles[0].contents);
console.log('file                      raw    gzip  brotli');
const row = (name, m) => console.log(`${name.padEnd(22)}${String(m.raw).padStart(7)}${String(m.gzip).padStart(8)}${String(m.brotli).padStart(8)}`);
row('satu.min.js', sdk);
row('idb-keyval (all of it)', ref);
console.log(`budget: ${BUDGET} bytes brotli -> ${sdk.brotli <= BUDGET ? 'OK' : 'OVER'} (${BUDGET - sdk.brotli} to spare)`);
if (sdk.brotli > BUDGET) process.exitCode = 1;

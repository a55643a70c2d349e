// Size of the script-tag bundle against its budget: raw, gzip and brotli (max quality) bytes of
// sdk/dist/satu.min.js, beside idb-keyval alone (minified the same way) as a reference, then what
// each source module costs in it (see `breakdown` below for how that is counted).
// Usage: node bench/size/run.mjs   (builds first). Exits 1 when over budget.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import * as esbuild from 'esbuild';
import { build } from '../../scripts/build-sdk.mjs';

const BUDGET = 5000;
/** Issue 22's goal, with every feature in. */
const GOAL = 3000;
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const brotli = (bytes) => brotliCompressSync(bytes, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }).length;
const measure = (bytes) => ({ raw: bytes.length, gzip: gzipSync(bytes, { level: 9 }).length, brotli: brotli(bytes) });

/**
 * What each module, and each top-level statement in it, costs. The bundle is built unminified, which keeps esbuild's `// sdk/src/x.ts` line before each module's code
 * and each declaration on lines of its own; a part's cost is how many brotli bytes that bundle loses
 * without it (text repeated elsewhere in the bundle counts little), and its share of the shipped file
 * is that cost scaled to the shipped brotli size (terser's pass does not work per part).
 */
const statements = (text, indent) =>
  text.split(new RegExp(`\\n(?= {${indent}}(?:function|var|let|const|class|async|if|for|return|listen)\\b)`)).slice(indent > 2 ? 1 : 0).filter((d) => d.trim());
const nameOf = (d) =>
  /^\s*(?:async\s+)?(?:function\*?|var|let|const|class)\s+([\w$]+)/.exec(d)?.[1] ?? d.trim().split('\n')[0].slice(0, 24);

async function breakdown(shipped) {
  const options = { entryPoints: [path.join(root, 'sdk/src/tag.ts')], bundle: true, format: 'iife', target: 'es2021', write: false, legalComments: 'none', metafile: true, mangleProps: /^_/ };
  const minified = await esbuild.build({ ...options, minify: true });
  const bytes = Object.values(minified.metafile.outputs)[0].inputs;
  const code = (await esbuild.build(options)).outputFiles[0].text;
  const total = brotli(Buffer.from(code));
  const cost = (text) => total - brotli(Buffer.from(code.replace(text, '')));
  const parts = code.split(/\n\s*\/\/ (\S+)\n/);
  const modules = [];
  for (let i = 1; i < parts.length; i += 2) {
    const [name, body] = [parts[i], parts[i + 1]];
    // Top-level statements of the IIFE start at two spaces of indentation.
    const declarations = statements(body, 2).map((d) => ({
      name: nameOf(d),
      cost: cost(d),
      // The facade and the queue are one closure each: their inner statements are their features.
      inner: /^\s*function (createSatu|createQueue)\b/.test(d) ? statements(d, 4).map((s) => ({ name: nameOf(s), cost: cost(s) })) : [],
    }));
    modules.push({ name: name.replace(/^node_modules\//, ''), minified: bytes[name]?.bytesInOutput ?? 0, cost: cost(body), declarations });
  }
  const sum = modules.reduce((a, m) => a + m.cost, 0);
  const share = (c) => Math.round((c / sum) * shipped);
  return modules.sort((a, b) => b.cost - a.cost).map((m) => ({
    ...m,
    shipped: share(m.cost),
    declarations: m.declarations.sort((a, b) => b.cost - a.cost).map((d) => ({
      ...d,
      shipped: share(d.cost),
      inner: d.inner.sort((a, b) => b.cost - a.cost).map((x) => ({ ...x, shipped: share(x.cost) })),
    })),
  }));
}

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
console.log(`issue 22's goal: ${GOAL} bytes brotli -> ${sdk.brotli <= GOAL ? 'met' : `NOT MET (${sdk.brotli - GOAL} over)`}`);
console.log('\nWhat each module costs, brotli bytes of the shipped file (minified bytes), and its largest declarations:');
for (const m of await breakdown(sdk.brotli)) {
  const parts = m.declarations.length > 1 ? m.declarations.filter((d) => d.shipped >= 15).map((d) => `${d.name} ${d.shipped}`).join(', ') : '';
  console.log(`  ${String(m.shipped).padStart(5)}  ${m.name} (${m.minified})${parts ? ': ' + parts : ''}`);
  for (const d of m.declarations.filter((d) => d.inner.length)) {
    console.log(`         ${d.name}: ${d.inner.filter((x) => x.shipped >= 10).map((x) => `${x.name} ${x.shipped}`).join(', ')}`);
  }
}
if (sdk.brotli > BUDGET) process.exitCode = 1;

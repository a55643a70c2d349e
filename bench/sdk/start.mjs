// bench/sdk/start.mjs: where satu.min.js's start-up time goes since the script only puts a stand-in
// at window.satu and starts the SDK in a later task. For each build, fresh pages (new context, empty
// storage), medians:
//   script ms   the script's own run, from its first statement to the next script on the page
//               (what bench/sdk/run.mjs calls ready: what blocks the page's parser)
//   start ms    the SDK's start, forced by a first call right after the script (window.satu.dropped());
//               in the build before, which started while the script ran, that is just the call
//   both ms     the two together: the work moved out of the script, which does not vanish
//
//   node bench/sdk/start.mjs [--runs 10] [--compare old/satu.min.js]   (builds first)
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { launchChromium } from './browser.mjs';
import { build } from '../../scripts/build-sdk.mjs';
import { startSink } from './sink.mjs';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '10' }, compare: { type: 'string' } } });
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const median = (list) => {
  const s = [...list].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

await build();
const builds = [['satu.min.js (this tree)', readFileSync(path.join(root, 'sdk/dist/satu.min.js'))]];
if (values.compare) builds.push([`${values.compare}`, readFileSync(values.compare)]);
const files = Object.fromEntries(builds.map(([, code], i) => [`/lib/satu${i}.js`, 'window.benchStartAt=performance.now();' + code]));
const sink = await startSink({ files });
const browser = await launchChromium();
const results = builds.map(() => []);
try {
  for (let run = 1; run <= Number(values.runs); run++) {
    for (const [i] of builds.entries()) {
      files[`/run/${i}-${run}.html`] =
        '<!doctype html><html><head><meta charset="utf-8"><title>start</title>' +
        `<script src="/lib/satu${i}.js" data-write-key="wk_start_${i}_${run}" data-host="${sink.origin}" data-auto-page="false"></script>` +
        '<script>window.benchReadyAt=performance.now();window.satu.dropped();window.benchStartedAt=performance.now()</script>' +
        '</head><body></body></html>';
      const context = await browser.newContext();
      const page = await context.newPage();
      await page.goto(`${sink.origin}/run/${i}-${run}.html`);
      results[i].push(await page.evaluate(() => [benchReadyAt - benchStartAt, benchStartedAt - benchReadyAt]));
      await context.close();
    }
  }
} finally {
  await browser.close();
  await sink.close();
}
console.log(`\nMedians of ${values.runs} fresh pages each, same run:\n`);
console.log('| build | script ms | start ms (first call) | both ms |\n|---|---:|---:|---:|');
for (const [i, [name]] of builds.entries()) {
  const r = results[i];
  console.log(`| ${name} | ${median(r.map((x) => x[0])).toFixed(1)} | ${median(r.map((x) => x[1])).toFixed(1)} | ${median(r.map((x) => x[0] + x[1])).toFixed(1)} |`);
}

// bench/sdk/parts.mjs: what the parts of a call cost when the code is cold, as in bench/sdk/run.mjs's
// first 20 calls: each probe alone in its own task, 10 ms after the one before, the probes taking
// turns (so what else the machine runs falls on all alike), on pages with satu.min.js started.
// Probes: the primitives a call uses (Date.now, document.URL, document.title, new Promise, the
// 0 ms setTimeout that schedules its write task), the other ways to get a later task, a member read
// through the script tag's stand-in, and whole track() calls (on the SDK, and through the stand-in).
// Prints, per probe, the median and the 80%-trimmed mean of every sample (performance.now() is
// 5 us coarse and jittered in a cross-origin-isolated page: the mean of many is finer than one).
//
//   node bench/sdk/parts.mjs [--pages 8] [--rounds 30] [--file sdk/dist/satu.min.js]   (builds first without --file)
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { launchChromium } from './browser.mjs';
import { build } from '../../scripts/build-sdk.mjs';
import { startSink } from './sink.mjs';

const { values } = parseArgs({ options: { pages: { type: 'string', default: '8' }, rounds: { type: 'string', default: '30' }, file: { type: 'string' } } });
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

if (!values.file) await build();
const files = { '/lib/satu.js': readFileSync(values.file ?? path.join(root, 'sdk/dist/satu.min.js')) };
const sink = await startSink({ files });
const browser = await launchChromium();
const samples = {};
try {
  for (let p = 1; p <= Number(values.pages); p++) {
    files[`/parts/${p}.html`] =
      '<!doctype html><html><head><meta charset="utf-8"><title>SDK bench</title>' +
      `<script src="/lib/satu.js" data-write-key="wk_parts_${p}" data-host="${sink.origin}" data-auto-page="false"></script>` +
      '<script>window.standIn = window.satu</script></head><body><p>SDK bench page</p></body></html>';
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${sink.origin}/parts/${p}.html`);
    const times = await page.evaluate(async (rounds) => {
      standIn.dropped(); // starts the SDK: window.satu is the SDK from here on
      const sdk = window.satu;
      const nothing = () => {};
      const channel = new MessageChannel();
      channel.port2.onmessage = nothing;
      const properties = { i: 1, plan: 'pro', total: 42.5, sku: 'A-1' };
      const probes = {
        'nothing (floor)': () => {},
        'Date.now()': () => Date.now(),
        'document.URL': () => document.URL,
        'document.title': () => document.title,
        'new Promise': () => new Promise(nothing),
        'setTimeout(f)': () => setTimeout(nothing),
        'requestIdleCallback(f)': () => requestIdleCallback(nothing),
        'scheduler.postTask(f)': () => scheduler.postTask(nothing),
        'port.postMessage': () => channel.port1.postMessage(0),
        'stand-in member read': () => standIn.track,
        'track() on the SDK': () => sdk.track('Bench Event', properties),
        'track() via the stand-in': () => standIn.track('Bench Event', properties),
      };
      const out = Object.fromEntries(Object.keys(probes).map((name) => [name, []]));
      for (let i = 0; i < rounds; i++) {
        for (const [name, probe] of Object.entries(probes)) {
          await new Promise((r) => setTimeout(r, 10));
          const t = performance.now();
          probe();
          out[name].push((performance.now() - t) * 1000);
        }
      }
      return out;
    }, Number(values.rounds));
    for (const [name, list] of Object.entries(times)) (samples[name] ??= []).push(...list);
    await context.close();
  }
} finally {
  await browser.close();
  await sink.close();
}
const sorted = (list) => [...list].sort((a, b) => a - b);
const median = (list) => sorted(list)[Math.floor(list.length / 2)];
const trimmedMean = (list) => {
  const kept = sorted(list).slice(0, Math.ceil(list.length * 0.8));
  return kept.reduce((a, b) => a + b, 0) / kept.length;
};
console.log(`\nCold cost of each probe, us (${values.pages} pages x ${values.rounds} rounds, each in its own task):\n`);
console.log('| probe | median | 80%-trimmed mean |\n|---|---:|---:|');
for (const [name, list] of Object.entries(samples)) console.log(`| ${name} | ${median(list).toFixed(1)} | ${trimmedMean(list).toFixed(1)} |`);

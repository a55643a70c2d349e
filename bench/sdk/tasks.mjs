// bench/sdk/tasks.mjs: what runs on the main thread after a 1,000-call burst of satu.min.js, from a
// Chromium trace: every task longer than --min ms (wall) from the end of the burst loop until the
// sink has every event, with its CPU time and its largest parts. bench/sdk/run.mjs only sees tasks
// over 50 ms (the long-task API); this shows the tasks that become one on a loaded machine.
//
//   node bench/sdk/tasks.mjs [--runs 3] [--min 2] [--throttle 4] [--tree 8] [--file sdk/dist/satu.min.js]
// --throttle N: Chromium's CPU throttling (a device N times slower; what was 12 ms becomes ~50 ms);
// --tree MS: the trace events inside each task over MS ms of CPU, nested. Times include tracing's own cost.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { launchChromium } from './browser.mjs';
import { build } from '../../scripts/build-sdk.mjs';
import { startSink } from './sink.mjs';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '3' }, min: { type: 'string', default: '2' }, file: { type: 'string' }, tree: { type: 'string' }, throttle: { type: 'string' } } });
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const BURST = 1000;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

if (!values.file) await build();
const code = readFileSync(values.file ?? path.join(root, 'sdk/dist/satu.min.js'));
const files = { '/lib/satu.js': code };
const sink = await startSink({ files });
const browser = await launchChromium();

/** Complete events of one thread, from a trace's B/E and X events. */
function threadEvents(events, pid, tid) {
  const out = [];
  const stack = [];
  for (const e of events) {
    if (e.pid != pid || e.tid != tid) continue;
    if (e.ph == 'X') out.push(e);
    else if (e.ph == 'B') stack.push(e);
    else if (e.ph == 'E') {
      const b = stack.pop();
      if (b) out.push({ ...b, dur: e.ts - b.ts, tdur: e.tts - b.tts, args: { ...b.args, ...e.args } });
    }
  }
  return out.sort((a, b) => a.ts - b.ts);
}

const label = (e) => {
  const d = e.args?.data ?? {};
  return e.name + (d.functionName ? ` ${d.functionName}` : '') + (d.type ? ` ${d.type}` : '') + (d.url && !d.functionName ? ` ${String(d.url).slice(-30)}` : '');
};

try {
  for (let run = 1; run <= Number(values.runs); run++) {
    const writeKey = `wk_tasks_${run}_${Date.now()}`;
    files[`/run/${writeKey}.html`] =
      '<!doctype html><html><head><meta charset="utf-8"><title>SDK tasks</title>' +
      `<script src="/lib/satu.js" data-write-key="${writeKey}" data-host="${sink.origin}" data-auto-page="false"></script>` +
      '</head><body></body></html>';
    const context = await browser.newContext();
    const page = await context.newPage();
    // A slower device: Chromium pauses the page's main thread so that its work takes N times as long.
    if (values.throttle) await (await context.newCDPSession(page)).send('Emulation.setCPUThrottlingRate', { rate: Number(values.throttle) });
    await page.goto(`${sink.origin}/run/${writeKey}.html`);
    // As in run.mjs: calls before the burst, delivered, so the database is open and warm.
    await page.evaluate(async () => {
      for (let i = 0; i < 60; i++) await new Promise((r) => setTimeout(r, 10)), satu.track('Warm', { i });
    });
    while (sink.received(writeKey) < 60) await sleep(100);
    await browser.startTracing(page, {
      categories: ['toplevel', 'devtools.timeline', 'disabled-by-default-devtools.timeline', 'v8', 'v8.execute', 'blink.user_timing', 'IndexedDB', 'disabled-by-default-v8.gc'],
    });
    await page.evaluate((n) => {
      for (let i = 0; i < n; i++) satu.track('Burst Event', { i, plan: 'pro', total: 42.5, sku: 'A-1' });
      performance.mark('burst-end');
    }, BURST);
    const deadline = Date.now() + 60_000;
    while (sink.received(writeKey) < 60 + BURST && Date.now() < deadline) await sleep(100);
    await sleep(300);
    const trace = JSON.parse((await browser.stopTracing()).toString());
    await context.close();
    const events = trace.traceEvents;
    const mark = events.find((e) => e.name == 'burst-end');
    const main = events.find((e) => e.ph == 'M' && e.name == 'thread_name' && e.args.name == 'CrRendererMain' && e.pid == mark.pid);
    const mine = threadEvents(events, main.pid, main.tid);
    // Top-level tasks only (the scheduler's RunTask events nest one inside another).
    const all = mine.filter((e) => e.name == 'ThreadControllerImpl::RunTask' || e.name == 'RunTask');
    const tasks = [];
    for (const t of all) if (!(tasks.length && t.ts < tasks.at(-1).ts + tasks.at(-1).dur)) tasks.push(t);
    tasks.splice(0, tasks.findIndex((t) => t.ts + t.dur > mark.ts));
    const min = Number(values.min) * 1000;
    const long = tasks.filter((t) => t.dur >= min || (t.tdur ?? 0) >= min);
    const sum = (list, f) => list.reduce((a, t) => a + f(t), 0);
    console.log(`\nrun ${run}: ${sink.received(writeKey) - 60}/${BURST} delivered, ${tasks.length} tasks after the burst, ` +
      `${(sum(tasks, (t) => t.tdur ?? 0) / 1000).toFixed(1)} ms CPU in all, longest ${(Math.max(...tasks.map((t) => t.dur)) / 1000).toFixed(1)} ms; over ${values.min} ms:`);
    for (const t of long) {
      const parts = mine.filter((e) => e !== t && e.ts >= t.ts && e.ts + e.dur <= t.ts + t.dur && e.dur > 300 && !/RunTask|mojo|SimpleWatcher|v8.callFunction|V8.GC_|GCScavenger|HandleInterrupts|StackGuard/.test(e.name));
      const top = parts.sort((a, b) => b.dur - a.dur).slice(0, 8).map((e) => `${label(e)} ${(e.dur / 1000).toFixed(1)}`);
      console.log(`  +${((t.ts - mark.ts) / 1000).toFixed(0)} ms: ${(t.dur / 1000).toFixed(1)} ms wall, ${((t.tdur ?? 0) / 1000).toFixed(1)} CPU | ${top.join(' | ')}`);
      if (values.tree && (t.tdur ?? 0) >= Number(values.tree) * 1000) {
        const inside = mine.filter((e) => e !== t && e.ts >= t.ts && e.ts + e.dur <= t.ts + t.dur && (e.tdur ?? e.dur) > 150);
        const open = [];
        for (const e of inside) {
          while (open.length && e.ts >= open.at(-1).ts + open.at(-1).dur) open.pop();
          console.log(`      ${'  '.repeat(open.length)}${label(e)} ${(e.dur / 1000).toFixed(2)} wall ${((e.tdur ?? 0) / 1000).toFixed(2)} cpu`);
          open.push(e);
        }
      }
    }
  }
} finally {
  await browser.close();
  await sink.close();
}

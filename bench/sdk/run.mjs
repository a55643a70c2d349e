// bench/sdk: what each analytics library costs the page, in headless Chromium, in the same run:
// Satu's satu.min.js beside @segment/analytics-next and @rudderstack/analytics-js, all bundled
// locally and sending to a sink on loopback. For each library, several fresh pages (new browser
// context, empty storage), then medians:
//   brotli B     the script as shipped (max quality)
//   ready ms     from the script's first statement to the library accepting calls itself (what the
//                script's own work costs: the bench serves each file with a time stamp put before it)
//   arrival ms   the same from the script's bytes arriving (adds the browser's compile and scheduling
//                of the script: on a loaded machine it is often tens of ms even for an empty script)
//   first 20     track() synchronous main-thread time, median of the first 20 calls after ready,
//                each in its own task (as from 20 click handlers)
//   burst        1,000 track() calls in one loop: loop time / 1,000
//   long tasks   main-thread tasks over 50 ms (PerformanceObserver 'longtask') from the end of the
//                burst loop until the sink has every event: their time past the loop's end, and count
// then the ratios against analytics-next and the issue's goals, and the other calls' (page,
// identify, group, alias) first-call medians. Prints a markdown table (for the README).
//
//   node bench/sdk/run.mjs [--runs 5] [--only satu] [--compare old/satu.min.js] [--throttle 4]
// (builds the SDK first; needs /usr/bin/chromium). --compare adds another build of satu.min.js (e.g.
// main's) to the same run, the fair way to see what a change did on a machine whose load moves.
// --throttle N: Chromium's CPU throttling on every page, a device N times slower (a task of 12.5 ms
// becomes a long task at 4): long tasks then depend far less on what else the machine runs.
import { readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { brotliCompressSync, constants } from 'node:zlib';
import { launchChromium } from './browser.mjs';
import { build } from '../../scripts/build-sdk.mjs';
import { libraries } from './libraries.mjs';
import { startSink } from './sink.mjs';

// --only satu: measure one library alone (while working on it; ratios need all three)
const { values } = parseArgs({
  options: { runs: { type: 'string', default: '5' }, only: { type: 'string' }, compare: { type: 'string' }, throttle: { type: 'string' } },
});
const RUNS = Number(values.runs);
const FIRST = 20;
const OTHERS = ['page', 'identify', 'group', 'alias'];
const OTHER_CALLS = 10; // of each
const BURST = 1000;
const DELIVERY_TIMEOUT_MS = 60_000;
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

const median = (list) => {
  const s = [...list].sort((a, b) => a - b);
  return s.length ? (s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2) : NaN;
};
const brotli = (bytes) => brotliCompressSync(bytes, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }).length;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * Polls the sink until `writeKey` has `count` messages; returns whether it got there. Gives up when
 * nothing new arrives for 10 s (a library that dropped events from a full queue never gets there)
 * or after 60 s.
 */
async function delivered(sink, writeKey, count) {
  const deadline = Date.now() + DELIVERY_TIMEOUT_MS;
  let seen = -1;
  let since = Date.now();
  while (Date.now() < deadline && Date.now() - since < 10_000) {
    const now = sink.received(writeKey);
    if (now >= count) return true;
    if (now != seen) [seen, since] = [now, Date.now()];
    await sleep(100);
  }
  return false;
}

/** Calls `method` `n` times, each in its own task 10 ms apart; the synchronous time of each, in us. */
const timedCalls = (page, method, n) =>
  page.evaluate(async ([method, n]) => {
    const args = {
      track: (i) => ['Bench Event', { i, plan: 'pro', total: 42.5, sku: 'A-1' }],
      page: (i) => ['Home', { i }],
      identify: (i) => ['user-1', { email: 'ana@example.com', plan: 'pro', visits: i }],
      group: (i) => ['acme', { name: 'Acme', seats: i }],
      alias: (i) => [`user-${i}`],
    }[method];
    const times = [];
    for (let i = 0; i < n; i++) {
      await new Promise((r) => setTimeout(r, 10));
      const a = args(i);
      const t = performance.now();
      window.benchLib[method](...a);
      times.push((performance.now() - t) * 1000);
    }
    return times;
  }, [method, n]);

async function measure(browser, sink, files, lib, run) {
  const writeKey = `wk_bench_${lib.file.replace(/\W/g, '')}_${run}`;
  files[`/run/${writeKey}.html`] =
    '<!doctype html><html><head><meta charset="utf-8"><title>SDK bench</title>' +
    '<script>window.benchLongTasks=[];new PerformanceObserver(function(l){l.getEntries().forEach(function(e){benchLongTasks.push([e.startTime,e.duration])})}).observe({type:"longtask",buffered:true})</script>' +
    lib.tag(sink.origin, writeKey) +
    '</head><body><p>SDK bench page</p></body></html>';
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    if (values.throttle) await (await context.newCDPSession(page)).send('Emulation.setCPUThrottlingRate', { rate: Number(values.throttle) });
    await page.goto(`${sink.origin}/run/${writeKey}.html`);
    await page.waitForFunction(() => window.benchReadyAt, null, { timeout: 30_000 });
    const [readyMs, arrivalMs] = await page.evaluate((file) => {
      const entry = performance.getEntriesByName(new URL(file, location.href).href)[0];
      return [window.benchReadyAt - window.benchStartAt, window.benchReadyAt - entry.responseEnd];
    }, lib.file);
    const first = await timedCalls(page, 'track', FIRST);
    const others = {};
    for (const method of OTHERS) others[method] = median(await timedCalls(page, method, OTHER_CALLS));
    const before = FIRST + OTHERS.length * OTHER_CALLS;
    const quiet = lib.sends === false || (await delivered(sink, writeKey, before));
    const burstMs = await page.evaluate((n) => {
      const lib = window.benchLib;
      const t = performance.now();
      for (let i = 0; i < n; i++) lib.track('Burst Event', { i, plan: 'pro', total: 42.5, sku: 'A-1' });
      window.benchBurstEnd = performance.now();
      return window.benchBurstEnd - t;
    }, BURST);
    const complete = lib.sends === false || (await delivered(sink, writeKey, before + BURST));
    await sleep(300); // the last task's long-task entry is reported after it ends
    const long = await page.evaluate(() =>
      window.benchLongTasks
        .map(([start, duration]) => start + duration - Math.max(start, window.benchBurstEnd))
        .filter((after) => after > 0),
    );
    const received = sink.received(writeKey);
    if (!quiet || !complete) console.warn(`  ${lib.name} run ${run}: the sink got ${received} of ${before + BURST} messages in time`);
    return {
      readyMs,
      arrivalMs,
      firstUs: median(first),
      burstUs: (burstMs * 1000) / BURST,
      longMs: long.reduce((a, b) => a + b, 0),
      longCount: long.length,
      others,
    };
  } finally {
    await context.close();
  }
}

await build();
const libs = (await libraries(root)).filter((l) => !values.only || l.sends === false || l.name.toLowerCase().includes(values.only));
if (values.compare) {
  const satu = libs.find((l) => l.name.startsWith('Satu'));
  libs.push({ ...satu, name: `Satu ${values.compare}`, file: '/lib/satu-compare.js', code: readFileSync(values.compare),
    tag: (host, writeKey) => satu.tag(host, writeKey).replace('/lib/satu.js', '/lib/satu-compare.js') });
}
// The time stamp of each script's first statement (a statement before the library's own, after a
// leading comment line such as V8's compile hint, which only counts at the top of the file).
const stamped = (code) => {
  const text = Buffer.from(code).toString();
  const at = text.startsWith('//') ? text.indexOf('\n') + 1 : 0;
  return text.slice(0, at) + 'window.benchStartAt=performance.now();' + text.slice(at);
};
const files = Object.fromEntries(libs.map((l) => [l.file, stamped(l.code)]));
const sink = await startSink({ files });
const browser = await launchChromium();
const results = libs.map(() => []);
try {
  // Interleaved (one page of each library per round) so that load from other work on the machine
  // falls on all of them alike.
  for (let run = 1; run <= RUNS; run++) {
    for (const [i, lib] of libs.entries()) {
      results[i].push(await measure(browser, sink, files, lib, run));
      process.stderr.write(`run ${run}/${RUNS} ${lib.name}: done\n`);
    }
  }
} finally {
  await browser.close();
  await sink.close();
}

const summary = libs.map((lib, i) => {
  const r = results[i];
  return {
    name: lib.name,
    brotli: brotli(lib.code),
    readyMs: median(r.map((x) => x.readyMs)),
    arrivalMs: median(r.map((x) => x.arrivalMs)),
    firstUs: median(r.map((x) => x.firstUs)),
    burstUs: median(r.map((x) => x.burstUs)),
    longMs: median(r.map((x) => x.longMs)),
    longCount: median(r.map((x) => x.longCount)),
    longMax: Math.max(...r.map((x) => x.longCount)),
    longCounts: r.map((x) => x.longCount),
    others: Object.fromEntries(OTHERS.map((m) => [m, median(r.map((x) => x.others[m]))])),
  };
});

const n = (v, digits = 0) => v.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
console.log(`\nMedians of ${RUNS} fresh pages each, headless Chromium${values.throttle ? `, CPU throttled ${values.throttle}x` : ''}, same run:\n`);
console.log('| library | brotli B | ready ms | from arrival ms | track() us/call, first 20 | same, 1,000-call burst | long tasks after the burst |');
console.log('|---|---:|---:|---:|---:|---:|---:|');
for (const s of summary) {
  console.log(`| ${s.name} | ${n(s.brotli)} | ${n(s.readyMs, 1)} | ${n(s.arrivalMs, 1)} | ${n(s.firstUs, 1)} | ${n(s.burstUs, 1)} | ${n(s.longMs)} ms (${n(s.longCount)}) |`);
}
console.log('\n| library | page() us | identify() us | group() us | alias() us |');
console.log('|---|---:|---:|---:|---:|');
for (const s of summary) console.log(`| ${s.name} | ${OTHERS.map((m) => n(s.others[m], 1)).join(' | ')} |`);

// The medians hide single pages: the long tasks of every page, in run order.
console.log(`\nLong tasks after the burst, per page: ${summary.map((x) => `${x.name} ${x.longCounts.join(',')}`).join('; ')}`);

// Ratios and the goals of issue 22: each call <= 1/20 of analytics-next's and <= 50 us, no long
// task after a burst in any run, ready <= 10 ms, <= 3,000 B brotli.
const satu = summary[0];
const segment = summary.find((s) => s.name.startsWith('@segment'));
const rudder = summary.find((s) => s.name.startsWith('@rudderstack'));
if (!segment || !rudder) process.exit(0);
const ratio = (a, b) => (b / a >= 10 ? n(b / a) : n(b / a, 1));
console.log('\nSatu against the others (how many times cheaper):');
for (const other of [segment, rudder]) {
  console.log(
    `  ${other.name}: first 20 x${ratio(satu.firstUs, other.firstUs)}, burst x${ratio(satu.burstUs, other.burstUs)}, ` +
      OTHERS.map((m) => `${m} x${ratio(satu.others[m], other.others[m])}`).join(', ') +
      `, size x${ratio(satu.brotli, other.brotli)}, ready x${ratio(satu.readyMs, other.readyMs)}`,
  );
}
// The ratio is the goal; 50 us is the absolute aim, which depends on what else the machine runs.
const calls = [['track() first 20', satu.firstUs, segment.firstUs], ['track() burst', satu.burstUs, segment.burstUs],
  ...OTHERS.map((m) => [`${m}()`, satu.others[m], segment.others[m]])];
const goals = [
  ...calls.map(([what, ours, theirs]) => [`${what} <= 1/20 of analytics-next's`, ours <= theirs / 20]),
  ...calls.map(([what, ours]) => [`${what} <= 50 us (aim; load average now ${loadavg()[0].toFixed(1)} on ${cpus().length} cores)`, ours <= 50]),
  ['no long task after the burst, in any run', satu.longMax == 0],
  ['ready <= 10 ms', satu.readyMs <= 10],
  ['<= 3,000 B brotli', satu.brotli <= 3000],
];
console.log('\nGoals (issue 22):');
for (const [goal, met] of goals) console.log(`  ${met ? 'met    ' : 'NOT MET'}  ${goal}`);

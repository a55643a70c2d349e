// bench/insights: how long the console's charts take on a big workspace. Loads N events spread
// over the last 30 days (and P people) into a local D1 through the real collector, then times
// each insights endpoint and the overview as the console loads it (all four calls at once).
//
//   node bench/insights/run.mjs [--events 1000000] [--people 100000] [--runs 7]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { applyMigrations, createWorkspace, randomToken, startCollector } from '../../scripts/lib/local-collector.mjs';
import { fmt, sampleEvent } from '../lib/load.mjs';

const { values } = parseArgs({
  options: {
    events: { type: 'string', default: '1000000' },
    people: { type: 'string', default: '100000' },
    runs: { type: 'string', default: '7' },
    concurrency: { type: 'string', default: '8' },
  },
});
const EVENTS = Number(values.events);
const PEOPLE = Number(values.people);
const RUNS = Number(values.runs);
const BATCH = 500;
const DAY = 86_400_000;

const stateDir = mkdtempSync(path.join(tmpdir(), 'satu-bench-insights-'));
const adminToken = randomToken();
await applyMigrations(stateDir);
const collector = await startCollector({ stateDir, adminToken });
try {
  const ws = await createWorkspace(collector.url, adminToken, 'Insights bench');
  const now = Date.now();
  const started = performance.now();
  let next = 0;
  let done = 0;
  let retries = 0;
  const timer = setInterval(() => {
    const s = (performance.now() - started) / 1000;
    console.log(`loading: ${done.toLocaleString('en')}/${EVENTS.toLocaleString('en')} events, ${fmt(done / s)} ev/s`);
  }, 10_000);
  const worker = async () => {
    while (next < EVENTS) {
      const from = next;
      next += BATCH;
      const batch = [];
      for (let k = from; k < Math.min(from + BATCH, EVENTS); k++) {
        const e = sampleEvent(k, { users: PEOPLE, runId: 'ins' });
        // Spread over 30 days, more recent days busier, like a growing shop.
        e.timestamp = new Date(now - Math.floor(30 * DAY * ((k * 7919) % EVENTS / EVENTS) ** 1.5)).toISOString();
        batch.push(e);
      }
      // 503s (D1 busy, or wrangler dev restarting workerd under memory pressure) are retried as
      // any sender would; messageIds make the retry exactly-once.
      for (let attempt = 1; ; attempt++) {
        const res = await fetch(`${collector.url}/v1/batch`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Basic ${btoa(`${ws.writeKey}:`)}` },
          body: JSON.stringify({ batch }),
        });
        if (res.ok) break;
        const text = await res.text();
        if (res.status !== 503 || attempt === 5) throw new Error(`load failed: ${res.status} ${text}`);
        retries++;
        await new Promise((r) => setTimeout(r, 500 * attempt));
      }
      done += batch.length;
    }
  };
  await Promise.all(Array.from({ length: Number(values.concurrency) }, worker));
  clearInterval(timer);
  const loadSeconds = (performance.now() - started) / 1000;
  console.log(`loaded ${done.toLocaleString('en')} events in ${fmt(loadSeconds)} s (${fmt(done / loadSeconds)} ev/s, ${retries} retried batches)`);

  const get = async (p) => {
    const t0 = performance.now();
    const res = await fetch(`${collector.url}${p}`, { headers: { authorization: `Bearer ${ws.secretKey}` } });
    const body = await res.json();
    if (!res.ok) throw new Error(`${p}: ${res.status} ${JSON.stringify(body)}`);
    return { ms: performance.now() - t0, body };
  };
  const time = async (label, fn) => {
    const ms = [];
    for (let i = 0; i < RUNS; i++) ms.push(await fn());
    ms.sort((a, b) => a - b);
    console.log(`${label.padEnd(44)} p50 ${fmt(ms[Math.floor(ms.length / 2)])} ms   max ${fmt(ms[ms.length - 1])} ms`);
  };
  const events = await get('/v1/insights/events?days=30');
  const profiles = await get('/v1/insights/profiles?days=30');
  console.log(`events in 30 days: ${events.body.total.toLocaleString('en')}; profiles: ${profiles.body.total.toLocaleString('en')} (${fmt(profiles.body.identifiedShare * 100, 1)}% identified)`);
  await time('GET /v1/insights/events?days=30', async () => (await get('/v1/insights/events?days=30')).ms);
  await time('GET /v1/insights/events?days=7', async () => (await get('/v1/insights/events?days=7')).ms);
  await time('GET /v1/insights/profiles?days=30', async () => (await get('/v1/insights/profiles?days=30')).ms);
  await time('GET /v1/insights/tail (first page)', async () => (await get('/v1/insights/tail?limit=12')).ms);
  const after = (await get('/v1/insights/tail?limit=1')).body.cursor.after;
  await time('GET /v1/insights/tail?after= (poll, no news)', async () => (await get(`/v1/insights/tail?after=${after}`)).ms);
  await time('overview (4 calls at once)', async () => {
    const t0 = performance.now();
    await Promise.all(['/v1/insights/events?days=30&top=8', '/v1/insights/profiles?days=30', '/v1/insights/tail?limit=12', '/v1/insights/session'].map(get));
    return performance.now() - t0;
  });
} finally {
  await collector.stop();
  rmSync(stateDir, { recursive: true, force: true });
}

// bench/ingest: loads the real collector over loopback with batches of 1, 20, 100 and 500
// events, then the same load against the insert-only baseline worker, and prints events/s,
// p50/p99 latency and the collector/baseline ratio, plus the CPU time the worker runtime (worker
// and local D1) spent per request, which does not depend on what else shares the cores.
// Bounded in time and concurrency.
//
//   node bench/ingest/run.mjs [--seconds 8] [--concurrency 8] [--sizes 1,20,100,500] [--browser-sizes 20,100]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { applyMigrations, createWorkspace, randomToken, startCollector } from '../../scripts/lib/local-collector.mjs';
import { fmt, runLoad, sampleEvent } from '../lib/load.mjs';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '8' },
    concurrency: { type: 'string', default: '8' },
    sizes: { type: 'string', default: '1,20,100,500' },
    // batch sizes measured once more with browser-shaped requests (one person per request)
    'browser-sizes': { type: 'string', default: '20,100' },
  },
});
const durationMs = Number(values.seconds) * 1000;
const concurrency = Number(values.concurrency);
const sizeList = (text) => text.split(',').filter(Boolean).map(Number);
const runs = [
  ...sizeList(values.sizes).map((size) => ({ size, shape: 'server' })),
  ...sizeList(values['browser-sizes']).map((size) => ({ size, shape: 'browser' })),
];

// Server-shaped requests carry one event per person (a backend library batching for many users);
// browser-shaped ones carry one person's events (what the SDK on a visitor's page sends).
const SHAPES = {
  server: (i, j, size, runId) => sampleEvent(i * size + j, { runId }),
  browser: (i, j, size, runId) => sampleEvent(i * size + j, { runId, user: i % 10_000 }),
};

async function measure(target, { size, shape }, headers, runId, cpuMs) {
  // A short warm-up so bundling, isolate start and SQLite page cache are not in the figures.
  const body = (i) => JSON.stringify({ batch: Array.from({ length: size }, (_, j) => SHAPES[shape](i, j, size, runId)) });
  await runLoad({ url: `${target}/v1/batch`, headers, body, concurrency, durationMs: 500, eventsPerRequest: size });
  return runLoad({
    url: `${target}/v1/batch`,
    headers,
    body: (i) => body(i + 1_000_000),
    concurrency,
    durationMs,
    eventsPerRequest: size,
    cpuMs,
  });
}

async function withWorker(config, fn) {
  const stateDir = mkdtempSync(path.join(tmpdir(), 'satu-bench-'));
  await applyMigrations(stateDir, { config });
  const token = randomToken();
  const worker = await startCollector({ stateDir, adminToken: token, config });
  try {
    return await fn(worker.url, token, worker.cpuMs);
  } finally {
    await worker.stop();
    rmSync(stateDir, { recursive: true, force: true });
  }
}

console.log(`bench/ingest: ${concurrency} concurrent senders, ${values.seconds} s per run, loopback`);
console.log('server-shaped requests: every event from a different person; browser-shaped: one person per request\n');
const rows = [];
for (const run of runs) {
  const satu = await withWorker('wrangler.toml', async (url, token, cpuMs) => {
    const ws = await createWorkspace(url, token, 'bench');
    return measure(url, run, { authorization: `Basic ${btoa(`${ws.writeKey}:`)}` }, `s${run.size}${run.shape}`, cpuMs);
  });
  const base = await withWorker('bench/baseline/wrangler.toml', (url, _token, cpuMs) => measure(url, run, {}, `b${run.size}${run.shape}`, cpuMs));
  rows.push({ ...run, satu, base });
  console.log(
    `batch ${String(run.size).padStart(3)} ${run.shape.padEnd(7)}  satu ${fmt(satu.eventsPerSecond).padStart(7)} ev/s  p50 ${fmt(satu.p50, 1)} ms  p99 ${fmt(satu.p99, 1)} ms` +
      `  | baseline ${fmt(base.eventsPerSecond).padStart(7)} ev/s  p50 ${fmt(base.p50, 1)} ms  p99 ${fmt(base.p99, 1)} ms` +
      `  | ratio ${fmt(satu.eventsPerSecond / base.eventsPerSecond, 2)}` +
      (satu.failures + base.failures ? `  (failures: satu ${JSON.stringify(satu.statuses)}, baseline ${JSON.stringify(base.statuses)})` : ''),
  );
  // Where a Satu request's time went, by the collector's own Server-Timing phases (I/O waits included).
  const phases = Object.entries(satu.phases).map(([k, v]) => `${k} ${fmt(v, 1)}`).join(', ');
  console.log(`           satu Server-Timing, mean ms per request: ${phases}`);
  console.log(
    `           runtime CPU per request (worker + local D1): satu ${fmt(satu.cpuPerRequest, 1)} ms, baseline ${fmt(base.cpuPerRequest, 1)} ms` +
      ` | CPU ratio ${fmt(base.cpuPerRequest / satu.cpuPerRequest, 2)}`,
  );
}

console.log('\n| batch | people per request | Satu events/s | p50 ms | p99 ms | baseline events/s | p50 ms | p99 ms | ratio | CPU ms/request Satu / baseline | CPU ratio |');
console.log('|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
for (const { size, shape, satu, base } of rows) {
  console.log(
    `| ${size} | ${shape === 'server' ? size : 1} (${shape}) | ${fmt(satu.eventsPerSecond)} | ${fmt(satu.p50, 1)} | ${fmt(satu.p99, 1)} | ${fmt(base.eventsPerSecond)} | ${fmt(base.p50, 1)} | ${fmt(base.p99, 1)} | ${fmt(satu.eventsPerSecond / base.eventsPerSecond, 2)}` +
      ` | ${fmt(satu.cpuPerRequest, 1)} / ${fmt(base.cpuPerRequest, 1)} | ${fmt(base.cpuPerRequest / satu.cpuPerRequest, 2)} |`,
  );
}

// bench/ingest: loads the real collector over loopback with batches of 1, 20, 100 and 500
// events, then the same load against the insert-only baseline worker, and prints, beside the
// baseline: acknowledged events/s (answers), end-to-end events/s (until the resolver has put every
// accepted event in its profile: GET /v1/ingest/status says pending 0), the visibility lag of
// probe events sent during the same load in a window of its own (acknowledged -> readable in the
// profile, p50/p99; the probes' reads would otherwise count as Satu's load), p50/p99
// answer latency, and the CPU time the worker runtime (worker, Durable Objects and local D1)
// spent per request, which does not depend on what else shares the cores. The baseline worker is
// measured twice: inserting in the request (the reference of the ratios), and as the floor of the
// asynchronous design (`/durable`: the body acknowledged on a Durable Object write, inserted by its
// alarm behind the answer), which shows what acknowledging before storing costs on this runtime by itself.
// Bounded in time and concurrency.
//
//   node bench/ingest/run.mjs [--seconds 8] [--concurrency 8] [--sizes 1,20,100,500] [--browser-sizes 20,100]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { applyMigrations, createWorkspace, randomToken, startCollector } from '../../scripts/lib/local-collector.mjs';
import { fmt, runLoad, sampleEvent } from '../lib/load.mjs';
import { percentile, probeVisibility, waitResolved } from '../../scripts/lib/resolved.mjs';

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

async function measure(target, { size, shape }, headers, runId, cpuMs, ws) {
  // A short warm-up so bundling, isolate start and SQLite page cache are not in the figures.
  const body = (i) => JSON.stringify({ batch: Array.from({ length: size }, (_, j) => SHAPES[shape](i, j, size, runId)) });
  const load = (offset, withCpu, ms = durationMs) =>
    runLoad({ url: `${target}/v1/batch`, headers, body: (i) => body(i + offset), concurrency, durationMs: ms, eventsPerRequest: size, cpuMs: withCpu ? cpuMs : undefined });
  await load(0, false, 500);
  if (ws) await waitResolved(target, ws.secretKey);
  // Throughput: the load alone, as the baseline gets it.
  const cpuBefore = cpuMs();
  const started = performance.now();
  const acked = await load(1_000_000, true);
  // End to end: every event of the load resolved into its profile.
  const resolvedAt = ws ? await waitResolved(target, ws.secretKey) : performance.now();
  const e2eSeconds = (resolvedAt - started) / 1000;
  const events = acked.eventsPerSecond * acked.seconds;
  const result = {
    ...acked,
    endToEndPerSecond: ws ? events / e2eSeconds : acked.eventsPerSecond,
    // CPU until everything is resolved, per load request: what the whole pipeline costs.
    e2eCpuPerRequest: (cpuMs() - cpuBefore) / Math.max(1, acked.requests),
  };
  if (ws?.writeKey === undefined) return result;
  // Visibility: the same load again, with probe events whose profiles are read every 10 ms until
  // they answer. A window of its own, because those reads are the bench's instrument, not load: in
  // the throughput window they took about 3 ms of the runtime's 12-14 ms per request of batch 100
  // (2026-12-07), CPU the baseline, which has no profiles to read, never spends.
  let loading = true;
  const cpuProbed = cpuMs();
  const probing = probeVisibility({ url: target, writeKey: ws.writeKey, secretKey: ws.secretKey, running: () => loading, runId });
  const probed = await load(2_000_000, false);
  loading = false;
  const probes = await probing;
  const at = (field, p) => percentile(probes.map((probe) => probe[field]), p);
  await waitResolved(target, ws.secretKey);
  return {
    ...result,
    lagP50: at('lag', 50),
    lagP99: at('lag', 99),
    probes: probes.length,
    probeReads: {
      p50: at('reads', 50), p90: at('reads', 90), readP50: at('readMs', 50), readP99: at('readMs', 99),
      serverP50: at('readServerMs', 50), serverP99: at('readServerMs', 99), healthP50: at('healthMs', 50), healthP99: at('healthMs', 99),
    },
    probed: { eventsPerSecond: probed.eventsPerSecond, cpuPerRequest: (cpuMs() - cpuProbed) / Math.max(1, probed.requests) },
  };
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
    return measure(url, run, { authorization: `Basic ${btoa(`${ws.writeKey}:`)}` }, `s${run.size}${run.shape}`, cpuMs, ws);
  });
  const { base, floor } = await withWorker('bench/baseline/wrangler.toml', async (url, _token, cpuMs) => ({
    base: await measure(url, run, {}, `b${run.size}${run.shape}`, cpuMs),
    // The baseline's status route needs no key; no probes (it keeps no profiles).
    floor: await measure(`${url}/durable`, run, {}, `f${run.size}${run.shape}`, cpuMs, { secretKey: '' }),
  }));
  rows.push({ ...run, satu, base, floor });
  console.log(
    `batch ${String(run.size).padStart(3)} ${run.shape.padEnd(7)}  satu acknowledged ${fmt(satu.eventsPerSecond).padStart(7)} ev/s, end to end ${fmt(satu.endToEndPerSecond).padStart(7)} ev/s` +
      `, lag p50 ${fmt(satu.lagP50)} ms p99 ${fmt(satu.lagP99)} ms (${satu.probes} probes), answer p50 ${fmt(satu.p50, 1)} ms p99 ${fmt(satu.p99, 1)} ms` +
      `  | baseline ${fmt(base.eventsPerSecond).padStart(7)} ev/s  p50 ${fmt(base.p50, 1)} ms  p99 ${fmt(base.p99, 1)} ms` +
      `  | ratio acknowledged ${fmt(satu.eventsPerSecond / base.eventsPerSecond, 2)}, end to end ${fmt(satu.endToEndPerSecond / base.eventsPerSecond, 2)}` +
      (satu.failures + base.failures + floor.failures ? `  (failures: satu ${JSON.stringify(satu.statuses)}, baseline ${JSON.stringify(base.statuses)}, floor ${JSON.stringify(floor.statuses)})` : ''),
  );
  console.log(
    `           durable floor (baseline acknowledged on a Durable Object write): acknowledged ${fmt(floor.eventsPerSecond)} ev/s, end to end ${fmt(floor.endToEndPerSecond)} ev/s,` +
      ` CPU ${fmt(floor.e2eCpuPerRequest, 1)} ms/request | ratio to the baseline ${fmt(floor.eventsPerSecond / base.eventsPerSecond, 2)} / ${fmt(floor.endToEndPerSecond / base.eventsPerSecond, 2)}`,
  );
  console.log(
    `           lag window (the same load, probe profiles read every 10 ms): acknowledged ${fmt(satu.probed.eventsPerSecond)} ev/s,` +
      ` CPU ${fmt(satu.probed.cpuPerRequest, 1)} ms/request until resolved, reads included`,
  );
  // The lag ends when a read answers: a probe answered by its first read was resolved before that
  // read ran, and then the lag is mostly the read's own wait for the runtime's thread, which a
  // /health sent at the same moment shows.
  const r = satu.probeReads;
  console.log(
    `           lag's last step: reads per probe p50 ${fmt(r.p50)} p90 ${fmt(r.p90)}; the answering read's round trip p50 ${fmt(r.readP50)} ms p99 ${fmt(r.readP99)} ms,` +
      ` its Server-Timing total p50 ${fmt(r.serverP50)} ms p99 ${fmt(r.serverP99)} ms; GET /health sent with the first read p50 ${fmt(r.healthP50)} ms p99 ${fmt(r.healthP99)} ms`,
  );
  // Where a Satu request's time went, by the collector's own Server-Timing phases (I/O waits included).
  const phases = Object.entries(satu.phases).map(([k, v]) => `${k} ${fmt(v, 1)}`).join(', ');
  console.log(`           satu Server-Timing, mean ms per request: ${phases}`);
  console.log(
    `           runtime CPU per request (worker + Durable Objects + local D1): satu ${fmt(satu.cpuPerRequest, 1)} ms during the load, ${fmt(satu.e2eCpuPerRequest, 1)} ms until resolved;` +
      ` baseline ${fmt(base.cpuPerRequest, 1)} ms | CPU ratio ${fmt(base.cpuPerRequest / satu.e2eCpuPerRequest, 2)}`,
  );
}

console.log('\n| batch | people per request | acknowledged ev/s | end-to-end ev/s | lag p50 / p99 ms | answer p50 / p99 ms | baseline ev/s | baseline p50 / p99 ms | ratio acknowledged | ratio end to end | CPU ms/request until resolved, Satu / baseline | durable floor ev/s, ratio end to end | floor CPU ms/request |');
console.log('|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
for (const { size, shape, satu, base, floor } of rows) {
  console.log(
    `| ${size} | ${shape === 'server' ? size : 1} (${shape}) | ${fmt(satu.eventsPerSecond)} | ${fmt(satu.endToEndPerSecond)} | ${fmt(satu.lagP50)} / ${fmt(satu.lagP99)} | ${fmt(satu.p50, 1)} / ${fmt(satu.p99, 1)}` +
      ` | ${fmt(base.eventsPerSecond)} | ${fmt(base.p50, 1)} / ${fmt(base.p99, 1)} | ${fmt(satu.eventsPerSecond / base.eventsPerSecond, 2)} | ${fmt(satu.endToEndPerSecond / base.eventsPerSecond, 2)}` +
      ` | ${fmt(satu.e2eCpuPerRequest, 1)} / ${fmt(base.cpuPerRequest, 1)} | ${fmt(floor.endToEndPerSecond)}, ${fmt(floor.endToEndPerSecond / base.eventsPerSecond, 2)} | ${fmt(floor.e2eCpuPerRequest, 1)} |`,
  );
}

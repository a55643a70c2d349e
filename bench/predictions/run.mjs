// bench/predictions: a simulated shop of 100k customers (BG/NBD + Gamma-Gamma with CDNOW-like
// parameters in days, seeded) is ingested through the real collector into a local D1; then it
// measures POST /v1/predictions/fit (wall time and the model's in-worker compute time) against
// the same fit run in this Node process on the same customers (the reference), and profile reads
// (GET /v1/profiles/{ref}) before any model and after it, in the same run.
//
//   node bench/predictions/run.mjs [--customers 100000] [--reads 2000] [--concurrency 4]
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { applyMigrations, createWorkspace, projectRoot, randomToken, startCollector } from '../../scripts/lib/local-collector.mjs';
import { fmt } from '../lib/load.mjs';

const { values } = parseArgs({
  options: {
    customers: { type: 'string', default: '100000' },
    reads: { type: 'string', default: '500' },
    concurrency: { type: 'string', default: '4' },
  },
});
const CUSTOMERS = Number(values.customers);
const CONCURRENCY = Number(values.concurrency);
const DAY = 86_400_000;

// wrangler dev closes keep-alive sockets left idle for a few seconds (during a long fit, or the
// reference fit in this process); a request that meets a closed socket fails before it is sent,
// so it is safe to send it once more.
const send = (url, init) => fetch(url, init).catch(() => fetch(url, init));

// The model code is TypeScript: bundle the pure modules once for this Node process.
const tmp = mkdtempSync(path.join(tmpdir(), 'satu-bench-predictions-'));
const bundled = path.join(tmp, 'models.mjs');
const entry = path.join(tmp, 'entry.ts');
writeFileSync(
  entry,
  ['simulate', 'bgnbd', 'gamma-gamma'].map((m) => `export * from ${JSON.stringify(path.join(projectRoot, 'collector/src/predictions', m))};`).join('\n'),
);
await build({ entryPoints: [entry], bundle: true, format: 'esm', platform: 'node', outfile: bundled, logLevel: 'error' });
const { simulateShop, fitBgNbd, fitGammaGamma } = await import(pathToFileURL(bundled).href);

const now = Date.now();
const shop = simulateShop({
  customers: CUSTOMERS,
  bgnbd: { r: 0.243, alpha: 30.9, a: 0.793, b: 2.426 },
  gammaGamma: { p: 6.25, q: 3.74, v: 15.44 },
  maxT: 273,
  horizon: 0,
  seed: 2005,
});
const orders = shop.flatMap((c, i) =>
  c.orders
    .filter((o) => o.at <= c.T)
    .map((o, k) => ({
      type: 'track',
      event: 'Order Completed',
      userId: `customer-${i}`,
      messageId: `order-${i}-${k}`,
      timestamp: new Date(Math.round(now - (c.T - o.at) * DAY)).toISOString(),
      properties: { revenue: o.value, orderId: `o-${i}-${k}` },
    })),
);
console.log(`bench/predictions: ${CUSTOMERS.toLocaleString('en')} customers, ${orders.length.toLocaleString('en')} orders, loopback (wrangler dev, local D1)\n`);

async function ingest(url, writeKey) {
  const started = performance.now();
  let next = 0;
  const worker = async () => {
    while (next < orders.length) {
      const batch = orders.slice(next, (next += 500));
      for (let attempt = 0; ; attempt++) {
        const res = await send(`${url}/v1/batch`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Basic ${btoa(`${writeKey}:`)}` },
          body: JSON.stringify({ batch }),
        });
        await res.arrayBuffer();
        if (res.ok) break;
        if (attempt > 5) throw new Error(`batch answered ${res.status}`);
      }
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  const s = (performance.now() - started) / 1000;
  console.log(`load: ${orders.length.toLocaleString('en')} orders in ${fmt(s, 1)} s (${fmt(orders.length / s)} ev/s)`);
}

async function reads(url, secretKey, label) {
  const latencies = [];
  let failures = 0;
  let i = 0;
  const n = Number(values.reads);
  const worker = async () => {
    while (i < n) {
      const j = i++;
      const t0 = performance.now();
      const ref = `${url}/v1/profiles/user_id:customer-${(j * 7919) % CUSTOMERS}`;
      const res = await send(ref, { headers: { authorization: `Bearer ${secretKey}` } });
      const body = await res.json();
      latencies.push(performance.now() - t0);
      if (res.status !== 200 || (label === 'after' && !body.predictions)) failures++;
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  latencies.sort((a, b) => a - b);
  const pct = (q) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))];
  return { n, failures, p50: pct(0.5), p99: pct(0.99) };
}

const stateDir = mkdtempSync(path.join(tmpdir(), 'satu-bench-predictions-state-'));
await applyMigrations(stateDir);
const token = randomToken();
const worker = await startCollector({ stateDir, adminToken: token });
try {
  const ws = await createWorkspace(worker.url, token, 'bench-predictions');
  await ingest(worker.url, ws.writeKey);
  // Ingest resolves people behind the acknowledgement once the inbox lands: wait for it.
  for (let pending = 1; pending > 0; ) {
    const res = await send(`${worker.url}/v1/ingest/status`, { headers: { authorization: `Bearer ${ws.secretKey}` } });
    pending = res.status === 404 ? 0 : (await res.json()).pending;
    if (pending) await new Promise((r) => setTimeout(r, 500));
  }
  const before = await reads(worker.url, ws.secretKey, 'before');
  console.log(`profile read before any model: p50 ${fmt(before.p50, 1)} ms, p99 ${fmt(before.p99, 1)} ms`);

  const cpuBefore = worker.cpuMs();
  const t0 = performance.now();
  const res = await send(`${worker.url}/v1/predictions/fit`, { method: 'POST', headers: { authorization: `Bearer ${ws.secretKey}` } });
  const fitWall = performance.now() - t0;
  const fitCpu = worker.cpuMs() - cpuBefore;
  const fit = await res.json();
  if (res.status !== 200) throw new Error(`fit answered ${res.status}: ${JSON.stringify(fit)}`);

  const r0 = performance.now();
  const local = fitBgNbd(shop.map((c) => ({ x: c.x, tx: c.tx, T: c.T })));
  fitGammaGamma(shop.map((c) => ({ x: c.x, mean: c.repeatMean })));
  const reference = performance.now() - r0;


  console.log(`\nfit over ${fit.customers.toLocaleString('en')} customers (POST /v1/predictions/fit):`);
  console.log(`| measure | ms |`);
  console.log(`|---|---:|`);
  console.log(`| request, wall (read orders, fit, write ${fit.customers.toLocaleString('en')} predictions, segments) | ${fmt(fitWall)} |`);
  console.log(`| runtime CPU of that request (worker + local D1) | ${fmt(fitCpu)} |`);
  console.log(`| model compute inside the worker (fitMs) | ${fmt(fit.fitMs)} |`);
  console.log(`| reference: same fits in this Node process | ${fmt(reference)} |`);
  console.log(`\nratio fitMs / Node reference ${fmt(fit.fitMs / reference, 2)}; request wall / fitMs ${fmt(fitWall / fit.fitMs, 2)}`);
  console.log(`fitted r=${fmt(fit.bgnbd.r, 3)} alpha=${fmt(fit.bgnbd.alpha, 2)} a=${fmt(fit.bgnbd.a, 3)} b=${fmt(fit.bgnbd.b, 3)} (drawn from 0.243, 30.9, 0.793, 2.426); in Node: r=${fmt(local.params.r, 3)} alpha=${fmt(local.params.alpha, 2)}`);
  const c0 = performance.now();
  const trait = await send(`${worker.url}/v1/computed-traits`, {
    method: 'POST',
    headers: { authorization: `Bearer ${ws.secretKey}`, 'content-type': 'application/json' },
    body: JSON.stringify({ key: 'order_value_sum', aggregate: 'sum', event: 'Order Completed', property: 'revenue' }),
  });
  const traitMs = performance.now() - c0;
  if (trait.status !== 201) throw new Error(`computed trait answered ${trait.status}: ${await trait.text()}`);
  console.log(`
computed trait (sum of revenue over ${orders.length.toLocaleString('en')} orders) defined and backfilled in ${fmt(traitMs)} ms`);

  const after = await reads(worker.url, ws.secretKey, 'after');
  console.log(`\nprofile read (GET /v1/profiles/user_id:..., ${before.n} reads, ${CONCURRENCY} concurrent):`);
  console.log(`| when | p50 ms | p99 ms | failures |`);
  console.log(`|---|---:|---:|---:|`);
  console.log(`| before any model (reference) | ${fmt(before.p50, 1)} | ${fmt(before.p99, 1)} | ${before.failures} |`);
  console.log(`| with predictions, RFM, computed traits | ${fmt(after.p50, 1)} | ${fmt(after.p99, 1)} | ${after.failures} |`);
  console.log(`\nratio p50 with/before ${fmt(after.p50 / before.p50, 2)}`);
} catch (err) {
  console.log(`collector log (tail):\n${worker.output().slice(-3000)}`);
  throw err;
} finally {
  await worker.stop();
  rmSync(stateDir, { recursive: true, force: true });
  rmSync(tmp, { recursive: true, force: true });
}

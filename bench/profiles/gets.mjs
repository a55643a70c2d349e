// bench/profiles' HTTP measurement: GETs at a fixed concurrency, back to back, with each answer's
// Server-Timing phases and the runtime's CPU (`cpuMs`, see bench/lib) spent meanwhile.
import { serverTiming } from '../../scripts/lib/server-timing.mjs';

const pct = (sorted, q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;

/**
 * `n` GETs of `pathOf(j)`, `concurrency` at a time back to back: client latencies, the Server-Timing
 * `total` of each answer (when sent) and the mean of every other phase.
 */
export async function measureGets(url, pathOf, n, { headers = {}, concurrency, cpuMs }) {
  const cpuBefore = cpuMs();
  const latencies = [];
  const totals = [];
  const phases = {};
  const cache = {};
  let failures = 0;
  let i = 0;
  const worker = async () => {
    while (i < n) {
      const j = i++;
      const t0 = performance.now();
      const res = await fetch(`${url}${pathOf(j)}`, { headers });
      await res.arrayBuffer();
      latencies.push(performance.now() - t0);
      if (res.status !== 200) failures++;
      for (const [phase, ms] of Object.entries(serverTiming(res))) {
        if (phase === 'total') totals.push(ms);
        else phases[phase] = (phases[phase] ?? 0) + ms;
      }
      const said = /cache;desc=(\w+)/.exec(res.headers.get('server-timing') ?? '')?.[1];
      if (said) cache[said] = (cache[said] ?? 0) + 1;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return { latencies, totals, phases, cache, failures, n, cpu: cpuMs() - cpuBefore };
}

/** Several measurements of the same kind as one: latencies and totals pooled, phase sums added. */
export function pool(runs) {
  const latencies = runs.flatMap((r) => r.latencies).sort((a, b) => a - b);
  const totals = runs.flatMap((r) => r.totals).sort((a, b) => a - b);
  const phases = {};
  const cache = {};
  for (const r of runs) for (const [k, v] of Object.entries(r.phases)) phases[k] = (phases[k] ?? 0) + v;
  for (const r of runs) for (const [k, v] of Object.entries(r.cache)) cache[k] = (cache[k] ?? 0) + v;
  const n = latencies.length;
  return {
    n,
    failures: runs.reduce((a, r) => a + r.failures, 0),
    p50: pct(latencies, 0.5),
    p99: pct(latencies, 0.99),
    st50: pct(totals, 0.5),
    st99: pct(totals, 0.99),
    cpu: runs.reduce((a, r) => a + r.cpu, 0) / Math.max(1, n),
    phases: Object.fromEntries(Object.entries(phases).map(([k, v]) => [k, v / Math.max(1, n)])),
    cache,
  };
}


// A bounded load generator for loopback benchmarks: `concurrency` workers send requests
// back to back until `durationMs` has passed (or `maxRequests` were sent), then stop.
// Node's fetch keeps connections alive by default, so each worker reuses its socket.
import { serverTiming } from '../../scripts/lib/server-timing.mjs';

/**
 * `cpuMs`, when given, reads the CPU time used so far by the process under test (see
 * runtimeCpuReader): the result then has `cpuPerRequest`, which is steadier than throughput on a
 * shared machine because it does not depend on what else competes for the cores.
 * @param {{url: string, headers?: Record<string,string>, body: (i: number) => string, concurrency: number,
 *   durationMs: number, maxRequests?: number, eventsPerRequest: number, cpuMs?: () => number}} o
 */
export async function runLoad(o) {
  const cpuBefore = o.cpuMs?.() ?? NaN;
  const latencies = [];
  let sent = 0;
  let failures = 0;
  const statuses = {};
  // Sum of each Server-Timing phase over the answered requests (the collector sends read, write, segments, total).
  const phases = {};
  const started = performance.now();
  const deadline = started + o.durationMs;
  const worker = async () => {
    while (performance.now() < deadline && sent < (o.maxRequests ?? Infinity)) {
      const i = sent++;
      const body = o.body(i);
      const t0 = performance.now();
      try {
        const res = await fetch(o.url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...o.headers },
          body,
        });
        await res.arrayBuffer();
        for (const [phase, ms] of Object.entries(serverTiming(res))) phases[phase] = (phases[phase] ?? 0) + ms;
        statuses[res.status] = (statuses[res.status] ?? 0) + 1;
        if (!res.ok) failures++;
      } catch {
        failures++;
        statuses.network = (statuses.network ?? 0) + 1;
      }
      latencies.push(performance.now() - t0);
    }
  };
  await Promise.all(Array.from({ length: o.concurrency }, worker));
  const seconds = (performance.now() - started) / 1000;
  const cpuUsed = (o.cpuMs?.() ?? NaN) - cpuBefore;
  latencies.sort((a, b) => a - b);
  const pct = (p) => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))] ?? NaN;
  const ok = latencies.length - failures;
  return {
    requests: latencies.length,
    failures,
    statuses,
    seconds,
    eventsPerSecond: (ok * o.eventsPerRequest) / seconds,
    mean: latencies.reduce((a, b) => a + b, 0) / Math.max(1, latencies.length),
    p50: pct(50),
    p99: pct(99),
    /** CPU ms of the process under test per request (NaN without `cpuMs`). */
    cpuPerRequest: cpuUsed / Math.max(1, latencies.length),
    /** Mean ms per request of each Server-Timing phase. */
    phases: Object.fromEntries(Object.entries(phases).map(([k, v]) => [k, v / Math.max(1, latencies.length)])),
  };
}

/** A realistic browser track event of ~600 bytes, from person `user` (by default one of `users`, round robin). */
export function sampleEvent(i, { users = 10_000, runId = 'run', user = i % users } = {}) {
  return {
    type: 'track',
    event: ['Product Viewed', 'Product Added', 'Order Completed', 'Page Scrolled'][i % 4],
    messageId: `${runId}-${i}`,
    anonymousId: `anon-${runId}-${user}`,
    ...(user % 3 === 0 ? { userId: `user-${runId}-${user}` } : {}),
    timestamp: new Date().toISOString(),
    properties: { product_id: `sku-${i % 500}`, category: ['spicy', 'sweet', 'sour'][i % 3], price: 12.5, currency: 'IDR', total: 25 },
    context: {
      library: { name: 'satu.js', version: '0.1.0' },
      page: { url: 'https://shop.example/products/sambal', path: '/products/sambal', referrer: 'https://www.google.com/', title: 'Sambal' },
      userAgent: 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36',
      locale: 'id-ID',
      campaign: { source: 'newsletter', medium: 'email', name: 'ramadan' },
    },
  };
}

export const fmt = (n, digits = 0) => (Number.isFinite(n) ? n.toFixed(digits) : '-');

// Ingest is acknowledged before it is resolved: these helpers tell when accepted events are in
// their profiles, as a client sees it through the read API.

import { serverTiming } from './server-timing.mjs';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * Polls GET /v1/ingest/status until nothing is pending; resolves with the time (performance.now())
 * it saw `pending: 0`. A collector without the route (404) counts as resolved.
 */
export async function waitResolved(url, secretKey, { timeoutMs = 600_000, intervalMs = 20 } = {}) {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const res = await fetch(`${url}/v1/ingest/status`, { headers: { authorization: `Bearer ${secretKey}` } });
    if (res.status === 404) return performance.now();
    const status = await res.json();
    if (status.pending === 0) return performance.now();
    if (performance.now() > deadline) throw new Error(`still ${status.pending} pending after ${timeoutMs} ms`);
    await sleep(intervalMs);
  }
}

/**
 * While `running()` is true, sends one event of a new person every `everyMs` and polls that
 * person's profile until it answers: the visibility lag (acknowledgement -> readable in the
 * profile) of real events under the load around them. Returns one record per probe that answered:
 * `lag` (ms), `reads` (how many it took), the answering read's own round trip `readMs` and
 * Server-Timing `total` (`readServerMs`), and `healthMs`, the round trip of a `GET /health` sent
 * with its first read (under a saturated runtime a read waits for the thread like any request:
 * these tell that wait apart from the resolver's).
 */
export async function probeVisibility({ url, writeKey, secretKey, running, everyMs = 100, runId }) {
  const probes = [];
  for (let n = 0; running(); n++) {
    probes.push(probeOnce(url, writeKey, secretKey, `probe-${runId}-${n}`));
    await sleep(everyMs);
  }
  return (await Promise.all(probes)).filter((probe) => probe !== null);
}

async function probeOnce(url, writeKey, secretKey, userId) {
  const res = await fetch(`${url}/v1/batch`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Basic ${btoa(`${writeKey}:`)}` },
    body: JSON.stringify({ batch: [{ type: 'identify', userId, messageId: `${userId}-m`, traits: { probe: true } }] }),
  });
  await res.arrayBuffer();
  if (!res.ok) return null;
  const acked = performance.now();
  const health = fetch(`${url}/health`)
    .then((h) => h.arrayBuffer())
    .then(() => performance.now() - acked);
  for (let reads = 1; ; reads++) {
    const sent = performance.now();
    const read = await fetch(`${url}/v1/profiles/user_id:${userId}`, { headers: { authorization: `Bearer ${secretKey}` } });
    await read.arrayBuffer();
    if (read.ok) {
      const answered = performance.now();
      return { lag: answered - acked, reads, readMs: answered - sent, readServerMs: serverTiming(read).total ?? NaN, healthMs: await health };
    }
    await sleep(10);
  }
}

/** The p-th percentile (0-100) of numbers. */
export function percentile(values, p) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

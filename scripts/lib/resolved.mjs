// Ingest is acknowledged before it is resolved: these helpers tell when accepted events are in
// their profiles, as a client sees it through the read API.

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
 * profile) of real events under the load around them. Returns, per probe that answered, the lag
 * in ms, how many reads it took, and the answering read's own round trip and Server-Timing `total`,
 * and the round trip of a `GET /health` sent with its first read (under a saturated runtime a read
 * waits for the thread like any request: these tell that wait apart from the resolver's).
 */
export async function probeVisibility({ url, writeKey, secretKey, running, everyMs = 100, runId }) {
  const lags = [];
  const reads = [];
  const readMs = [];
  const readServerMs = [];
  const healthMs = [];
  const probes = [];
  for (let n = 0; running(); n++) {
    const userId = `probe-${runId}-${n}`;
    probes.push(
      (async () => {
        const res = await fetch(`${url}/v1/batch`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Basic ${btoa(`${writeKey}:`)}` },
          body: JSON.stringify({ batch: [{ type: 'identify', userId, messageId: `${userId}-m`, traits: { probe: true } }] }),
        });
        await res.arrayBuffer();
        if (!res.ok) return;
        const acked = performance.now();
        const health = fetch(`${url}/health`)
          .then((h) => h.arrayBuffer())
          .then(() => healthMs.push(performance.now() - acked));
        for (let attempt = 1; ; attempt++) {
          const sent = performance.now();
          const read = await fetch(`${url}/v1/profiles/user_id:${userId}`, { headers: { authorization: `Bearer ${secretKey}` } });
          await read.arrayBuffer();
          if (read.ok) {
            const answered = performance.now();
            lags.push(answered - acked);
            reads.push(attempt);
            readMs.push(answered - sent);
            readServerMs.push(Number(/(?:^|,)\s*total;dur=([\d.]+)/.exec(read.headers.get('server-timing') ?? '')?.[1] ?? NaN));
            return void (await health);
          }
          await sleep(10);
        }
      })(),
    );
    await sleep(everyMs);
  }
  await Promise.all(probes);
  return { lags, reads, readMs, readServerMs, healthMs };
}

/** The p-th percentile (0-100) of numbers. */
export function percentile(values, p) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

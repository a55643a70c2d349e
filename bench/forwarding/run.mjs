// bench/forwarding: what event forwarding costs ingest, and whether a slow or failing vendor
// slows ingest or the other destinations. The real collector (wrangler dev) gets batches of 100
// events three times: with no destinations (the reference, same run); with four on a fast local
// receiver (a webhook, GA4, Mixpanel, Meta); with those four plus a webhook that answers after
// 5 s and one that always answers 500. Prints acknowledged and resolved (end-to-end) events/s
// with ratios, then how long after the events were resolved the fast destinations had everything.
//
//   node bench/forwarding/run.mjs [--seconds 8] [--concurrency 4]
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { applyMigrations, createWorkspace, freePort, randomToken, startCollector } from '../../scripts/lib/local-collector.mjs';
import { fmt, runLoad, sampleEvent } from '../lib/load.mjs';
import { waitResolved } from '../../scripts/lib/resolved.mjs';

const { values } = parseArgs({ options: { seconds: { type: 'string', default: '8' }, concurrency: { type: 'string', default: '4' } } });
const durationMs = Number(values.seconds) * 1000;
const concurrency = Number(values.concurrency);
const SIZE = 100;

// The receiver: counts events per path; /slow answers after 5 s, /down always 500.
const receivedEvents = new Map();
const server = createServer((req, res) => {
  let body = '';
  req.on('data', (d) => (body += d));
  req.on('end', () => {
    const url = new URL(req.url, 'http://x');
    const base = url.pathname.split('/')[1];
    let n = 0;
    try {
      const parsed = JSON.parse(body);
      n = Array.isArray(parsed) ? parsed.length : (parsed.batch ?? parsed.events ?? parsed.data ?? []).length;
    } catch {
      /* not JSON */
    }
    receivedEvents.set(base, (receivedEvents.get(base) ?? 0) + n);
    if (base === 'down') return res.writeHead(500).end('down');
    const answer = () => res.writeHead(200, { 'content-type': 'application/json' }).end('{"events_received":1}');
    if (base === 'slow') setTimeout(answer, 5000);
    else answer();
  });
});
const receiverPort = await freePort();
await new Promise((resolve) => server.listen(receiverPort, '127.0.0.1', resolve));
const receiver = `http://127.0.0.1:${receiverPort}`;

const stateDir = mkdtempSync(path.join(tmpdir(), 'satu-bench-fwd-'));
await applyMigrations(stateDir);
const token = randomToken();
const collector = await startCollector({ stateDir, adminToken: token });
try {
  const ws = await createWorkspace(collector.url, token, 'Forwarding bench');
  const headers = { authorization: `Basic ${Buffer.from(`${ws.writeKey}:`).toString('base64')}` };
  // Ingest acknowledges once events are in the inbox; the resolver stores them (and queues their
  // forwarding) behind. So each run reports acknowledged events/s and end to end: until resolved.
  const load = async (runId, ms) => {
    const started = performance.now();
    const r = await runLoad({
      url: `${collector.url}/v1/batch`,
      headers,
      body: (i) => JSON.stringify({ batch: Array.from({ length: SIZE }, (_, j) => sampleEvent(i * SIZE + j, { runId })) }),
      concurrency,
      durationMs: ms,
      eventsPerRequest: SIZE,
    });
    const resolvedAt = await waitResolved(collector.url, ws.secretKey);
    return { ...r, endToEnd: ((r.requests - r.failures) * SIZE) / ((resolvedAt - started) / 1000) };
  };

  await load('warm', 1000);
  const reference = await load('ref', durationMs);

  const secret = 'whsec_bench_0123456789';
  const destinations = {
    webhook: { kind: 'webhook', url: `${receiver}/webhook`, secret },
    ga4: { kind: 'ga4', config: { measurementId: 'G-BENCH1', apiSecret: 'bench-secret', endpoint: `${receiver}/ga4` } },
    mixpanel: { kind: 'mixpanel', config: { projectToken: 'benchtoken', apiSecret: 'bench-secret', endpoint: `${receiver}/mixpanel` } },
    meta: { kind: 'meta', config: { pixelId: '1234567890', accessToken: 'bench-token-1', endpoint: `${receiver}/meta` } },
    slow: { kind: 'webhook', url: `${receiver}/slow`, secret },
    down: { kind: 'webhook', url: `${receiver}/down`, secret },
  };
  const ids = {};
  const create = async (names) => {
    for (const name of names) {
      const res = await fetch(`${collector.url}/v1/destinations`, {
        method: 'POST',
        headers: { authorization: `Bearer ${ws.secretKey}`, 'content-type': 'application/json' },
        body: JSON.stringify(destinations[name]),
      });
      if (res.status !== 201) throw new Error(`creating ${name}: ${res.status} ${await res.text()}`);
      ids[name] = (await res.json()).id;
    }
  };

  await create(['webhook', 'ga4', 'mixpanel', 'meta']);
  const fast = await load('fast', durationMs);
  await create(['slow', 'down']);
  const withForwarding = await load('fwd', durationMs);
  const loadEnded = performance.now(); // the last run's events are resolved (and queued) by now
  const sent = (fast.requests + withForwarding.requests) * SIZE;

  // Forwarding lag: until each fast destination has no pending delivery left (the cron is not
  // running here: only the drains started after each ingest move them).
  const pending = async (id) => {
    for (let attempt = 0; ; attempt++) {
      try {
        const res = await fetch(`${collector.url}/v1/destinations/${id}/deliveries?status=pending&limit=1`, { headers: { authorization: `Bearer ${ws.secretKey}` } });
        return (await res.json()).data.length;
      } catch (err) {
        // A kept-alive socket the dev server closed meanwhile: ask again on a new one.
        if (attempt >= 3) throw err;
      }
    }
  };
  const lag = {};
  await Promise.all(
    ['webhook', 'ga4', 'mixpanel', 'meta'].map(async (name) => {
      while ((await pending(ids[name])) > 0 && performance.now() - loadEnded < 120_000) await new Promise((r) => setTimeout(r, 200));
      lag[name] = (await pending(ids[name])) > 0 ? 'not drained in 120 s' : `${fmt((performance.now() - loadEnded) / 1000, 1)} s`;
    }),
  );

  const row = (label, r) => `| ${label} | ${fmt(r.eventsPerSecond, 0)} | ${fmt(r.endToEnd, 0)} | ${fmt(r.p50, 1)} | ${fmt(r.p99, 1)} |`;
  console.log(`\nIngest, batches of ${SIZE}, concurrency ${concurrency}, ${values.seconds} s each (wrangler dev on this machine):\n`);
  console.log('| run | acknowledged events/s | resolved events/s (end to end) | ack p50 ms | ack p99 ms |');
  console.log('|---|---:|---:|---:|---:|');
  console.log(row('no destinations (reference)', reference));
  console.log(row('4 event destinations (webhook, GA4, Mixpanel, Meta)', fast));
  console.log(row('the same 4 plus one slow (5 s) and one down (500)', withForwarding));
  const ratio = (a, b) => `acknowledged events/s ${fmt(a.eventsPerSecond / b.eventsPerSecond, 2)}, end to end ${fmt(a.endToEnd / b.endToEnd, 2)}`;
  console.log(`\nforwarding to 4 vs none: ${ratio(fast, reference)}`);
  console.log(`adding a slow and a failing one (6 vs 4): ${ratio(withForwarding, fast)}`);
  console.log(`events sent with destinations: ${sent}; received per destination:`, Object.fromEntries(receivedEvents));
  console.log('fast destinations fully delivered after the events were resolved:', lag);
  console.log('statuses:', reference.statuses, fast.statuses, withForwarding.statuses);
} finally {
  await collector.stop();
  server.close();
  rmSync(stateDir, { recursive: true, force: true });
}

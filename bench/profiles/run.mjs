// bench/profiles: loads 100k profiles / 1M events into a local D1 through the real collector
// (identity resolution on), then measures profile lookups (p50/p99) and ingest events/s at
// batch 100 on the loaded database (100 people per request, then one person per request), next
// to the insert-only baseline worker (bench/baseline) loaded with the same 1M events and measured
// with the same load in the same run.
//
//   node bench/profiles/run.mjs [--people 100000] [--events 1000000] [--seconds 10] [--concurrency 8]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { applyMigrations, createWorkspace, randomToken, startCollector } from '../../scripts/lib/local-collector.mjs';
import { fmt, runLoad, sampleEvent } from '../lib/load.mjs';

const { values } = parseArgs({
  options: {
    people: { type: 'string', default: '100000' },
    events: { type: 'string', default: '1000000' },
    seconds: { type: 'string', default: '10' },
    concurrency: { type: 'string', default: '8' },
    lookups: { type: 'string', default: '4000' },
  },
});
const PEOPLE = Number(values.people);
const EVENTS = Number(values.events);
const CONCURRENCY = Number(values.concurrency);
const LOAD_BATCH = 500;

// Person p's k-th event. Every person gets EVENTS/PEOPLE events, spread over the whole load
// (a stride permutation), so each batch touches hundreds of different, mostly existing profiles.
// One person in three identifies (userId + email) on their 2nd event; one in ten of those uses
// a second device on their 5th event and logs in there on the 6th: a merge.
const anon = (p, device = 1) => `anon-${p}-d${device}`;
function personEvent(k, runId = 'load') {
  const p = (k * 7919) % PEOPLE;
  const round = Math.floor(k / PEOPLE);
  const known = p % 3 === 0;
  const e = { ...sampleEvent(k, { runId }), messageId: `${runId}-${k}`, anonymousId: anon(p) };
  delete e.userId;
  if (known && round >= 1) e.userId = `user-${p}`;
  if (known && round === 1) Object.assign(e, { type: 'identify', event: undefined, traits: { email: `person${p}@example.com`, plan: ['free', 'pro'][p % 2], age: 20 + (p % 50) } });
  if (known && p % 10 === 0 && (round === 4 || round === 5)) e.anonymousId = anon(p, 2);
  if (known && p % 10 === 0 && round === 4) delete e.userId;
  return e;
}

async function load(url, headers, label) {
  const started = performance.now();
  let done = 0;
  let failures = 0;
  let next = 0;
  // A progress line: rewritten in place on a terminal, one line every 10 s in a log.
  const tty = process.stdout.isTTY;
  const timer = setInterval(() => {
    const s = (performance.now() - started) / 1000;
    const line = `${label}: ${done.toLocaleString('en')}/${EVENTS.toLocaleString('en')} events, ${fmt(done / s)} ev/s, ${fmt(s)} s${failures ? `, ${failures} failed requests` : ''}`;
    process.stdout.write(tty ? `\r${line}   ` : `${line}\n`);
  }, tty ? 1000 : 10_000);
  const worker = async () => {
    while (next < EVENTS) {
      const from = next;
      next += LOAD_BATCH;
      const batch = [];
      for (let k = from; k < Math.min(EVENTS, from + LOAD_BATCH); k++) batch.push(personEvent(k));
      for (let attempt = 0; ; attempt++) {
        const res = await fetch(`${url}/v1/batch`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ batch }) });
        const text = await res.text();
        if (res.ok) break;
        if (failures < 3) console.log(text.slice(0, 200));
        failures++;
        if (failures <= 3) console.log(`\n${label}: batch at ${from} answered ${res.status}, retrying`);
        if (attempt > 5) throw new Error(`${label}: batch at ${from} failed with ${res.status}`);
      }
      done += batch.length;
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  clearInterval(timer);
  const s = (performance.now() - started) / 1000;
  console.log(`${process.stdout.isTTY ? '\r' : ''}${label}: ${done.toLocaleString('en')} events in ${fmt(s, 1)} s (${fmt(done / s)} ev/s)${failures ? `, ${failures} requests retried` : ''}${' '.repeat(30)}`);
  return failures;
}

async function lookups(url, secretKey) {
  const latencies = [];
  let failures = 0;
  const n = Number(values.lookups);
  let i = 0;
  const worker = async () => {
    while (i < n) {
      const j = i++;
      const p = (j * 104729) % PEOPLE;
      const ref = j % 2 === 0 ? `anonymous_id:${anon(p)}` : p % 3 === 0 ? `user_id:user-${p}` : `anonymous_id:${anon(p)}`;
      const t0 = performance.now();
      const res = await fetch(`${url}/v1/profiles/${encodeURIComponent(ref)}`, { headers: { authorization: `Bearer ${secretKey}` } });
      await res.arrayBuffer();
      latencies.push(performance.now() - t0);
      if (res.status !== 200) failures++;
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  latencies.sort((a, b) => a - b);
  const pct = (q) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))];
  return { n, failures, p50: pct(0.5), p99: pct(0.99) };
}

// Steady-state ingest at batch 100, new events of people already in the database, in two shapes:
// server-shaped requests hold 100 different people (the goal's measure), browser-shaped ones hold
// one person's 100 events (what a visitor's SDK sends).
const BODIES = {
  server: (i, runId) => Array.from({ length: 100 }, (_, j) => personEvent(EVENTS + i * 100 + j, runId)),
  browser: (i, runId) => {
    const p = (i * 7919) % PEOPLE;
    return Array.from({ length: 100 }, (_, j) => ({
      ...sampleEvent(i * 100 + j, { runId, user: p }),
      messageId: `${runId}-${i}-${j}`,
      anonymousId: anon(p),
      userId: p % 3 === 0 ? `user-${p}` : undefined,
    }));
  },
};

function measureIngest(url, headers, runId, cpuMs, shape = 'server') {
  const body = (i) => JSON.stringify({ batch: BODIES[shape](i, runId) });
  return runLoad({ url: `${url}/v1/batch`, headers, body, concurrency: CONCURRENCY, durationMs: Number(values.seconds) * 1000, eventsPerRequest: 100, cpuMs });
}

async function withWorker(config, fn) {
  const stateDir = mkdtempSync(path.join(tmpdir(), 'satu-bench-profiles-'));
  await applyMigrations(stateDir, { config });
  const token = randomToken();
  const worker = await startCollector({ stateDir, adminToken: token, config });
  try {
    return await fn(worker.url, token, worker);
  } finally {
    await worker.stop();
    rmSync(stateDir, { recursive: true, force: true });
  }
}

console.log(`bench/profiles: ${PEOPLE.toLocaleString('en')} people, ${EVENTS.toLocaleString('en')} events, ${CONCURRENCY} concurrent senders, loopback (wrangler dev, local D1)\n`);
const satu = await withWorker('wrangler.toml', async (url, token, worker) => {
  const ws = await createWorkspace(url, token, 'bench-profiles');
  const headers = { authorization: `Basic ${btoa(`${ws.writeKey}:`)}` };
  const failed = await load(url, headers, 'satu load (batch 500)');
  if (failed) console.log(`collector log (tail):\n${worker.output().slice(-1500)}`);
  const stats = await fetch(`${url}/v1/identity/stats`, { headers: { authorization: `Bearer ${ws.secretKey}` } }).then((r) => r.json());
  console.log(`identity: ${stats.profilesCreated.toLocaleString('en')} profiles created, ${stats.merges.toLocaleString('en')} merges, ${stats.userIdConflicts} user_id conflicts`);
  const look = await lookups(url, ws.secretKey);
  console.log(`profile lookup (GET /v1/profiles/{ref}, ${look.n} lookups): p50 ${fmt(look.p50, 1)} ms, p99 ${fmt(look.p99, 1)} ms${look.failures ? `, ${look.failures} non-200` : ''}`);
  await measureIngest(url, headers, 'warm'); // warm-up is a full run: same length for both sides
  const ingest = await measureIngest(url, headers, 'steady', worker.cpuMs);
  const browser = await measureIngest(url, headers, 'browser', worker.cpuMs, 'browser');
  return { ingest, browser, look, stats };
});
const base = await withWorker('bench/baseline/wrangler.toml', async (url, _token, worker) => {
  await load(url, {}, 'baseline load (batch 500)');
  await measureIngest(url, {}, 'warm');
  return { ingest: await measureIngest(url, {}, 'steady', worker.cpuMs), browser: await measureIngest(url, {}, 'browser', worker.cpuMs, 'browser') };
});

const row = (name, r) => `| ${name} | ${fmt(r.eventsPerSecond)} | ${fmt(r.p50, 1)} | ${fmt(r.p99, 1)} | ${fmt(r.cpuPerRequest, 1)} | ${r.failures} |`;
const ratios = (s, b) => `ratio satu/baseline ${fmt(s.eventsPerSecond / b.eventsPerSecond, 2)}, CPU ratio baseline/satu ${fmt(b.cpuPerRequest / s.cpuPerRequest, 2)}`;
console.log('\ningest at batch 100 on the loaded database (new events of known people):\n');
console.log('| worker, requests | events/s | p50 ms | p99 ms | runtime CPU ms/request (worker + local D1) | failed requests |');
console.log('|---|---:|---:|---:|---:|---:|');
console.log(row('satu (identity resolution on), 100 people per request', satu.ingest));
console.log(row('insert-only baseline, 100 people per request', base.ingest));
console.log(row('satu (identity resolution on), 1 person per request', satu.browser));
console.log(row('insert-only baseline, 1 person per request', base.browser));
const phases = Object.entries(satu.ingest.phases).map(([k, v]) => `${k} ${fmt(v, 1)}`).join(', ');
console.log(`\nsatu Server-Timing (100 people per request), mean ms per request: ${phases} (client-side mean ${fmt(satu.ingest.mean, 1)})`);
console.log(`\n100 people per request: ${ratios(satu.ingest, base.ingest)} (goal: ratio >= 0.5)`);
console.log(`1 person per request:   ${ratios(satu.browser, base.browser)}`);

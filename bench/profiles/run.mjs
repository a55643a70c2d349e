// bench/profiles: loads people and events (default 100k / 1M) into a local D1 through the real
// collector (identity resolution on), waits until ingest says nothing is pending, then measures the
// profile reads against a request that does nothing, in the same run, at the same concurrency:
// rounds of GET /health, GET /v1/profiles/{ref} and GET /v1/profiles/{ref}/events, each phase
// `concurrency` requests at a time back to back. It prints client p50/p99 of each beside /health with
// the ratios, and the p50/p99 of the collector's own Server-Timing `total` on the reads.
// With --ingest it then also measures steady-state ingest at batch 100 on the loaded database next to
// the insert-only baseline (bench/baseline) loaded the same way.
//
// Reads go through the workspace's profile read store (a Durable Object that keeps every profile's
// view in its own storage and catches up from D1 once writes are quiet). The bench waits until the
// store says it has caught up (GET /v1/admin/workspaces/{id}/profile-reads), as a marketer's reads
// after a quiet moment would find it, then each round reads people cold (not read before) and warm
// (the same people again), and prints both with the store's state before and after. --no-wait-store
// measures right after ingest instead (reads of what the store has not caught up go to D1).
//
//   node bench/profiles/run.mjs [--people 100000] [--events 1000000] [--concurrency 8] [--lookups 2000]
//                               [--rounds 3] [--ingest] [--seconds 10] [--no-wait-store] [--alone 300]
// --alone N: after the concurrent rounds, N reads of each kind one at a time (people no phase read
// before), beside /health and the floor's calls one at a time: what a read costs the worker when no
// other request shares the runtime's one thread (0: skip).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { applyMigrations, createWorkspace, randomToken, startCollector } from '../../scripts/lib/local-collector.mjs';
import { fmt, runLoad, sampleEvent } from '../lib/load.mjs';
import { measureGets, pool } from './gets.mjs';
import { describeStore, readStore, waitForResolved, waitForStore } from './waits.mjs';

const { values } = parseArgs({
  options: {
    people: { type: 'string', default: '100000' },
    events: { type: 'string', default: '1000000' },
    seconds: { type: 'string', default: '10' },
    concurrency: { type: 'string', default: '8' },
    lookups: { type: 'string', default: '2000' },
    rounds: { type: 'string', default: '3' },
    ingest: { type: 'boolean', default: false },
    'no-wait-store': { type: 'boolean', default: false },
    alone: { type: 'string', default: '300' },
  },
});
const PEOPLE = Number(values.people);
const EVENTS = Number(values.events);
const CONCURRENCY = Number(values.concurrency);
const ALONE = Number(values.alone);
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
        // A dropped connection (the runtime restarting an overloaded isolate) is retried like a 5xx:
        // every event id is sent again, and messageId idempotency keeps the counts right.
        const res = await fetch(`${url}/v1/batch`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ batch }) }).catch((err) => err);
        const status = res instanceof Error ? `a network error (${res.cause?.code ?? res.message})` : res.status;
        const text = res instanceof Error ? '' : await res.text();
        if (!(res instanceof Error) && res.ok) break;
        if (failures < 3) console.log(text.slice(0, 200));
        failures++;
        if (failures <= 3) console.log(`\n${label}: batch at ${from} answered ${status}, retrying`);
        if (attempt > 5) throw new Error(`${label}: batch at ${from} failed with ${status}`);
        await new Promise((r) => setTimeout(r, 500 * (attempt + 1)));
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

/** The ref of the j-th person slot: half by anonymous id, half by user id where the person has one. */
function refOf(j) {
  const p = (j * 104729) % PEOPLE;
  return j % 2 === 0 || p % 3 !== 0 ? `anonymous_id:${anon(p)}` : `user_id:user-${p}`;
}

/**
 * Cold and warm reads of the profile read cache: in each round, a cold phase reads people no phase
 * read before (the cache misses and reads D1), then a warm phase reads the same people again
 * (answered by the workspace's Durable Object). Profile and timeline phases use different people.
 */
function coldWarm(n, offset = 0) {
  const slot = (kind, round) => offset + (round < 0 ? 2 * Number(values.rounds) : 2 * round + (kind === 'events' ? 1 : 0)) * n;
  if (offset + (2 * Number(values.rounds) + 1) * n > PEOPLE) console.log(`note: ${PEOPLE} people are too few for ${n} distinct cold lookups per phase; some cold reads repeat people`);
  return slot;
}

/**
 * Rounds of the given kinds of GET, each phase CONCURRENCY at a time back to back, so every kind and
 * the do-nothing reference share the machine's load. The first round only warms up (isolate, caches).
 */
async function measureKinds(url, kinds, { concurrency = CONCURRENCY, n = Number(values.lookups) } = {}) {
  // pathOf(j, round): round -1 is the warm-up.
  for (const [pathOf, headers] of Object.values(kinds)) await measureGets(url, (j) => pathOf(j, -1), Math.min(n, 200), { headers, concurrency, cpuMs });
  const runs = Object.fromEntries(Object.keys(kinds).map((k) => [k, []]));
  for (let round = 0; round < Number(values.rounds); round++) {
    for (const [kind, [pathOf, headers]] of Object.entries(kinds)) runs[kind].push(await measureGets(url, (j) => pathOf(j, round), n, { headers, concurrency, cpuMs }));
  }
  return Object.fromEntries(Object.entries(runs).map(([k, r]) => [k, pool(r)]));
}

/** /health, then profiles and timeline pages, each cold (people not read before) and warm (the same people again). */
function measureReads(url, secretKey, { concurrency = CONCURRENCY, n = Number(values.lookups), offset = 0 } = {}) {
  const auth = { authorization: `Bearer ${secretKey}` };
  const slot = coldWarm(n, offset);
  const profileOf = (j, round) => `/v1/profiles/${encodeURIComponent(refOf(slot('profile', round) + j))}`;
  const eventsOf = (j, round) => `/v1/profiles/${encodeURIComponent(refOf(slot('events', round) + j))}/events?limit=20`;
  return measureKinds(url, {
    health: [() => '/health', {}],
    profileCold: [profileOf, auth],
    profileWarm: [profileOf, auth],
    eventsCold: [eventsOf, auth],
    eventsWarm: [eventsOf, auth],
  }, { concurrency, n });
}

const readRow = (name, x, h) =>
  `| ${name} | ${x.n} | ${fmt(x.p50, 1)} | ${fmt(x.p99, 1)} | ${x === h ? '' : fmt(x.p50 / h.p50, 2)} | ${x === h ? '' : fmt(x.p99 / h.p99, 2)} | ${fmt(x.st50, 1)} | ${fmt(x.st99, 1)} | ${fmt(x.cpu, 2)} | ${x.failures} |`;
const READ_HEAD =
  '| request | n | p50 ms | p99 ms | p50 / health | p99 / health | Server-Timing total p50 ms | total p99 ms | runtime CPU ms/request | non-200 |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|';

const READ_KINDS = [
  ['profileCold', 'GET /v1/profiles/{ref}, cold (not read before)'],
  ['profileWarm', 'GET /v1/profiles/{ref}, warm (read again)'],
  ['eventsCold', 'GET /v1/profiles/{ref}/events?limit=20, cold'],
  ['eventsWarm', 'GET /v1/profiles/{ref}/events?limit=20, warm'],
];

function printReads(r, concurrency = CONCURRENCY) {
  const h = r.health;
  console.log(`\nreads, ${concurrency === 1 ? 'one at a time' : `${concurrency} concurrent`}, ${values.rounds} rounds of health / profile cold, warm / events cold, warm back to back:\n`);
  console.log(READ_HEAD);
  console.log(readRow('GET /health', h, h));
  for (const [kind, label] of READ_KINDS) console.log(readRow(label, r[kind], h));
  for (const [kind] of READ_KINDS) {
    const phases = Object.entries(r[kind].phases).map(([k, v]) => `${k} ${fmt(v, 2)}`).join(', ');
    const cache = Object.entries(r[kind].cache).map(([k, v]) => `${k} ${v}`).join(', ');
    console.log(`\n${kind} Server-Timing phases, mean ms: ${phases}; cache: ${cache}`);
  }
  for (const temp of ['Warm', 'Cold']) {
    const [p, e] = [r[`profile${temp}`], r[`events${temp}`]];
    const worst = Math.max(p.p50 / h.p50, p.p99 / h.p99, e.p50 / h.p50, e.p99 / h.p99);
    console.log(`${temp.toLowerCase()}: worst read/health ratio ${fmt(worst, 2)} (goal <= 1.5); Server-Timing total p99 ${fmt(Math.max(p.st99, e.st99), 1)} ms (goal < 5)`);
  }
}

/**
 * What any read costs under wrangler dev, on the insert-only worker (bench/baseline): one D1
 * round trip that does no work (SELECT 1), and one call to a Durable Object of the same worker that
 * reads its own SQLite storage, beside that worker's /health.
 */
async function printFloor() {
  const r = await withWorker('bench/baseline/wrangler.toml', (url) =>
    measureKinds(url, { health: [() => '/health', {}], d1: [() => '/ping-d1', {}], durableObject: [() => '/ping-do', {}] }),
  );
  console.log(`\nfloor of a read under wrangler dev (bench/baseline worker, same concurrency and rounds):\n`);
  console.log(READ_HEAD);
  console.log(readRow('GET /health', r.health, r.health));
  console.log(readRow('GET /ping-d1 (one D1 SELECT 1)', r.d1, r.health));
  console.log(readRow('GET /ping-do (one Durable Object call, SELECT 1 on its storage)', r.durableObject, r.health));
  if (ALONE === 0) return;
  const alone = await withWorker('bench/baseline/wrangler.toml', (url) =>
    measureKinds(url, { health: [() => '/health', {}], durableObject: [() => '/ping-do', {}] }, { concurrency: 1, n: ALONE }),
  );
  console.log(`\nthe same, one at a time:\n`);
  console.log(READ_HEAD);
  console.log(readRow('GET /health', alone.health, alone.health));
  console.log(readRow('GET /ping-do (one Durable Object call, SELECT 1 on its storage)', alone.durableObject, alone.health));
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

// CPU time used so far by the runtime under test (worker, its Durable Objects and local D1; see
// runtimeCpuReader): per request it holds under load, where latencies on two shared cores do not.
let cpuMs = () => NaN;

async function withWorker(config, fn) {
  const stateDir = mkdtempSync(path.join(tmpdir(), 'satu-bench-profiles-'));
  await applyMigrations(stateDir, { config });
  const token = randomToken();
  const worker = await startCollector({ stateDir, adminToken: token, config });
  cpuMs = worker.cpuMs;
  try {
    return await fn(worker.url, token, worker);
  } finally {
    await worker.stop();
    rmSync(stateDir, { recursive: true, force: true });
  }
}

console.log(`bench/profiles: ${PEOPLE.toLocaleString('en')} people, ${EVENTS.toLocaleString('en')} events, ${CONCURRENCY} concurrent clients, loopback (wrangler dev, local D1)\n`);
const satu = await withWorker('wrangler.toml', async (url, token, worker) => {
  const ws = await createWorkspace(url, token, 'bench-profiles');
  const headers = { authorization: `Basic ${btoa(`${ws.writeKey}:`)}` };
  const failed = await load(url, headers, 'satu load (batch 500)');
  if (failed) console.log(`collector log (tail):\n${worker.output().slice(-1500)}`);
  const waited = await waitForResolved(url, ws.secretKey);
  if (waited) console.log(`resolver caught up ${fmt(waited / 1000, 1)} s after the last acknowledgement`);
  const stats = await fetch(`${url}/v1/identity/stats`, { headers: { authorization: `Bearer ${ws.secretKey}` } }).then((r) => r.json());
  console.log(`identity: ${stats.profilesCreated.toLocaleString('en')} profiles created, ${stats.merges.toLocaleString('en')} merges, ${stats.userIdConflicts} user_id conflicts`);
  if (!values['no-wait-store']) {
    const caught = await waitForStore(url, token, ws.id).catch((err) => {
      console.log(`collector log (tail):\n${worker.output().slice(-3000)}`);
      throw err;
    });
    console.log(caught === null ? 'the read store did not catch up within 30 min' : `read store caught up ${fmt(caught / 1000, 1)} s after the resolver`);
  }
  console.log(`read store before the reads: ${describeStore(await readStore(url, token, ws.id))}`);
  const reads = await measureReads(url, ws.secretKey);
  console.log(`read store after the reads: ${describeStore(await readStore(url, token, ws.id))}`);
  printReads(reads);
  if (ALONE > 0) {
    // People after every slot the concurrent rounds used, so the cold reads are cold here too.
    const used = (2 * Number(values.rounds) + 1) * Number(values.lookups);
    printReads(await measureReads(url, ws.secretKey, { concurrency: 1, n: ALONE, offset: used }), 1);
  }
  if (!values.ingest) return null;
  await measureIngest(url, headers, 'warm'); // warm-up is a full run: same length for both sides
  const ingest = await measureIngest(url, headers, 'steady', worker.cpuMs);
  const browser = await measureIngest(url, headers, 'browser', worker.cpuMs, 'browser');
  return { ingest, browser };
});
await printFloor();
if (!satu) process.exit(0);
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

// bench/archive: what the R2 archive costs and gives, on the real collector (wrangler dev, local
// D1 and R2 on disk). Ingests N events (default 1,000,000; --events for a quick run) in batches
// of 500, waits until every one is resolved and archived, then prints:
//   - D1 bytes per event (the whole database: events, indexes, profiles, identities) and R2 bytes
//     per event (the gzip NDJSON objects), so you can tell when a workspace outgrows a database;
//   - export events/s (GET /v1/events/export, streamed to nothing) and rebuild events/s
//     (POST /v1/admin/workspaces/{id}/rebuild until GET .../{id} says done), each beside the
//     ingest end-to-end rate measured in the same run (ratios, since this machine is shared);
//   - the per-person index into R2, which retention builds for the events it moves out of D1 (ingest
//     writes none): its bytes per event moved out (SQLite pages of its table and index), and
//     a timeline page (GET /v1/profiles/{ref}/events?limit=20) of the same people read hot (every
//     event in D1) and cold (after retention moved those older than --hot-days to R2), p50/p99
//     and the ratio, checking that both give the same events. Event times spread over
//     --spread-days (default 200) so that retention has a history to move.
//
//   node bench/archive/run.mjs [--events 1000000] [--concurrency 4] [--users 50000] [--hot-days 30] [--samples 200]
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { applyMigrations, createWorkspace, randomToken, startCollector } from '../../scripts/lib/local-collector.mjs';
import { waitResolved } from '../../scripts/lib/resolved.mjs';
import { fmt, runLoad } from '../lib/load.mjs';
import { shopEvent } from './events.mjs';

const { values } = parseArgs({
  options: {
    events: { type: 'string', default: '1000000' },
    concurrency: { type: 'string', default: '4' },
    users: { type: 'string', default: '50000' },
    keep: { type: 'boolean', default: false },
    'spread-days': { type: 'string', default: '200' },
    'hot-days': { type: 'string', default: '30' },
    samples: { type: 'string', default: '200' },
  },
});
const spreadDays = Number(values['spread-days']);
const hotDays = Number(values['hot-days']);
const total = Number(values.events);
const BATCH = 500;
const requests = Math.ceil(total / BATCH);

/** Bytes of every file under a directory. */
function bytesUnder(dir) {
  let sum = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    sum += entry.isDirectory() ? bytesUnder(p) : statSync(p).size;
  }
  return sum;
}

/** Bytes of the local D1 database files (read with the collector stopped, so SQLite has folded its WAL in). */
const d1Bytes = (stateDir) => bytesUnder(path.join(stateDir, 'v3/d1'));

/** The local D1 databases' SQLite files that hold workspace data (not miniflare's metadata). */
const d1Files = (stateDir) => {
  const dir = path.join(stateDir, 'v3/d1/miniflare-D1DatabaseObject');
  return readdirSync(dir)
    .filter((f) => f.endsWith('.sqlite'))
    .map((f) => path.join(dir, f))
    .filter((file) => execFileSync('sqlite3', ['-readonly', file, "SELECT count(*) FROM sqlite_master WHERE name = 'archive_index'"], { encoding: 'utf8' }).trim() === '1');
};

/** One number from each local D1 database (sqlite3 CLI; read-only), summed. Retried while a writer holds a lock. */
function sqlSum(stateDir, sql) {
  let sum = 0;
  for (const file of d1Files(stateDir)) {
    for (let attempt = 1; ; attempt++) {
      try {
        sum += Number(execFileSync('sqlite3', ['-readonly', file, sql], { encoding: 'utf8' }).trim() || 0);
        break;
      } catch (err) {
        if (attempt >= 10) throw err;
        execFileSync('sleep', ['0.2']);
      }
    }
  }
  return sum;
}

/** Latency percentile (ms) of sorted samples. */
const pct = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];

/** The first timeline page of each person, one request at a time: the events' ids and each request's ms. */
async function timelinePages(url, key, refs) {
  const ms = [];
  const pages = [];
  for (const ref of refs) {
    const started = performance.now();
    const res = await fetch(`${url}/v1/profiles/${ref}/events?limit=20`, { headers: { authorization: `Bearer ${key}` } });
    const body = await res.json();
    ms.push(performance.now() - started);
    if (res.status !== 200) throw new Error(`timeline ${ref}: ${res.status} ${JSON.stringify(body)}`);
    pages.push(body.data.map((e) => e.messageId).join(','));
  }
  return { ms: ms.sort((a, b) => a - b), pages };
}

const stateDir = mkdtempSync(path.join(tmpdir(), 'satu-bench-archive-'));
const adminToken = randomToken();
await applyMigrations(stateDir);
let collector = await startCollector({ stateDir, adminToken });
const line = (label, value) => console.log(`${label.padEnd(44)} ${value}`);
try {
  const ws = await createWorkspace(collector.url, adminToken, 'bench archive');
  const users = Number(values.users);
  console.log(`bench/archive: ${total.toLocaleString('en')} events in batches of ${BATCH}, ${users.toLocaleString('en')} people, concurrency ${values.concurrency}`);

  // Ingest, until every event is resolved (and so archived: the inbox archives before it forgets a row).
  const started = performance.now();
  const load = await runLoad({
    url: `${collector.url}/v1/batch`,
    headers: { authorization: `Basic ${btoa(`${ws.writeKey}:`)}` },
    body: (i) => JSON.stringify({ batch: Array.from({ length: BATCH }, (_, j) => shopEvent(i * BATCH + j, { runId: 'a', users, spreadDays })).slice(0, Math.max(0, total - i * BATCH)) }),
    concurrency: Number(values.concurrency),
    durationMs: 3_600_000,
    maxRequests: requests,
    eventsPerRequest: BATCH,
  });
  if (load.failures > 0) throw new Error(`ingest failures: ${JSON.stringify(load.statuses)}`);
  await waitResolved(collector.url, ws.secretKey, { timeoutMs: 3_600_000, intervalMs: 500 });
  const ingestSeconds = (performance.now() - started) / 1000;
  const ingestRate = total / ingestSeconds;

  // Sizes with the collector stopped; it starts again on the same state (nothing is lost across it).
  await collector.stop();
  const d1 = d1Bytes(stateDir);
  const r2 = bytesUnder(path.join(stateDir, 'v3/r2'));
  collector = await startCollector({ stateDir, adminToken });

  // Export: the whole history, streamed and counted, nothing kept.
  const exportStarted = performance.now();
  const res = await fetch(`${collector.url}/v1/events/export`, { headers: { authorization: `Bearer ${ws.secretKey}` } });
  let exported = 0;
  let exportBytes = 0;
  for await (const chunk of res.body) {
    exportBytes += chunk.length;
    for (const byte of chunk) if (byte === 10) exported++;
  }
  const exportSeconds = (performance.now() - exportStarted) / 1000;
  if (exported !== total) throw new Error(`export gave ${exported} events, expected ${total}`);

  // Timelines hot, then cold: the first page of the same people before and after retention.
  const people = Array.from({ length: Math.min(Number(values.samples), Math.floor(users / 3)) }, (_, k) => `user_id:user-a-${(k * Math.floor(users / 3 / Number(values.samples) || 1) * 3) % users}`);
  await timelinePages(collector.url, ws.secretKey, people.slice(0, 20)); // warm-up
  const hot = await timelinePages(collector.url, ws.secretKey, people);
  const secret = { authorization: `Bearer ${ws.secretKey}`, 'content-type': 'application/json' };
  const patched = await fetch(`${collector.url}/v1/settings`, { method: 'PATCH', headers: secret, body: JSON.stringify({ retention: { hotDays } }) });
  if (patched.status !== 200) throw new Error(`settings: ${patched.status} ${await patched.text()}`);
  // What the hourly sweep does, now: the workspace's inbox deletes on its alarm.
  const retentionStarted = performance.now();
  const swept = await fetch(`${collector.url}/v1/admin/workspaces/${ws.id}/retention`, { method: 'POST', headers: { authorization: `Bearer ${adminToken}` } });
  if (swept.status !== 202) throw new Error(`retention: ${swept.status} ${await swept.text()}`);
  // Done when D1's event count stops moving. What stays: recent events, orders (the predictions
  // read every order), and the first batches, resolved before the inbox began archiving.
  const inD1 = () => sqlSum(stateDir, 'SELECT count(*) FROM events');
  for (let last = -1, still = 0; still < 3; ) {
    if (performance.now() - retentionStarted > 600_000) throw new Error('retention did not finish in 10 minutes');
    await new Promise((r) => setTimeout(r, 2000));
    const now = inD1();
    still = now === last && now < total ? still + 1 : 0;
    last = now;
  }
  const retentionSeconds = (performance.now() - retentionStarted) / 1000 - 6; // less the 3 polls that saw it still
  const inD1After = inD1();
  // The per-person index into R2, which retention built for the events it moved out (ingest writes
  // none): the pages of its table and of its by-object index (dbstat).
  const indexBytes = sqlSum(stateDir, "SELECT coalesce(sum(pgsize), 0) FROM dbstat WHERE name IN ('archive_index', 'archive_index_object')");
  const indexRows = sqlSum(stateDir, 'SELECT count(*) FROM archive_index');
  const movedOut = total - inD1After;
  await timelinePages(collector.url, ws.secretKey, people.slice(0, 20)); // warm-up
  const cold = await timelinePages(collector.url, ws.secretKey, people);
  const differing = hot.pages.filter((p, k) => p !== cold.pages[k]).length;
  if (differing > 0) throw new Error(`${differing} of ${people.length} timeline pages differ between hot and cold`);

  // Rebuild: every identity, profile, computed trait and membership again from the archive.
  const admin = { authorization: `Bearer ${adminToken}` };
  const rebuildStarted = performance.now();
  let start = await fetch(`${collector.url}/v1/admin/workspaces/${ws.id}/rebuild`, { method: 'POST', headers: admin });
  if (start.status === 503) {
    // wrangler dev answers 503 when its runtime restarted under the request; starting a rebuild twice is harmless.
    console.error(`rebuild start answered 503 (${await start.text()}); sending it again`);
    start = await fetch(`${collector.url}/v1/admin/workspaces/${ws.id}/rebuild`, { method: 'POST', headers: admin });
  }
  if (start.status !== 202) throw new Error(`rebuild: ${start.status} ${await start.text()}`);
  let rebuild;
  // How long the collector keeps a request waiting while it rebuilds: local workerd runs the worker
  // and the inbox on one thread, so a status request waits for the rebuild step under way.
  const statusMs = [];
  for (;;) {
    const asked = performance.now();
    const res = await fetch(`${collector.url}/v1/admin/workspaces/${ws.id}`, { headers: admin, signal: AbortSignal.timeout(30_000) }).catch(() => null);
    if (!res) continue;
    rebuild = (await res.json()).rebuild;
    statusMs.push(performance.now() - asked);
    if (rebuild.status !== 'running') break;
    if (process.stderr.isTTY || process.env.BENCH_PROGRESS) process.stderr.write(`rebuild ${rebuild.done}/${rebuild.total} after ${fmt((performance.now() - rebuildStarted) / 1000, 1)} s\n`);
    await new Promise((r) => setTimeout(r, 1000));
  }
  const rebuildSeconds = (performance.now() - rebuildStarted) / 1000;
  if (rebuild.status !== 'done' || rebuild.done !== total) throw new Error(`rebuild ended ${JSON.stringify(rebuild)}`);

  console.log('');
  line('events', total.toLocaleString('en'));
  line('ingest, acknowledged -> resolved + archived', `${fmt(ingestSeconds, 1)} s, ${fmt(ingestRate)} events/s`);
  line('D1 bytes per event (database files)', `${fmt(d1 / total)} (${fmt(d1 / 1e6, 1)} MB)`);
  line('R2 bytes per event (objects + local metadata)', `${fmt(r2 / total)} (${fmt(r2 / 1e6, 1)} MB; ${fmt(d1 / r2, 1)}x smaller than D1)`);
  line('export NDJSON bytes per event (uncompressed)', fmt(exportBytes / total));
  line('export', `${fmt(exportSeconds, 1)} s, ${fmt(total / exportSeconds)} events/s (${fmt(total / exportSeconds / ingestRate, 1)}x ingest)`);
  line('rebuild', `${fmt(rebuildSeconds, 1)} s, ${fmt(total / rebuildSeconds)} events/s (${fmt(total / rebuildSeconds / ingestRate, 2)}x ingest)`);
  statusMs.sort((a, b) => a - b);
  line('a request during the rebuild (status)', `p50 ${fmt(pct(statusMs, 50))} ms, max ${fmt(statusMs.at(-1))} ms (${statusMs.length} requests)`);
  line('events per 10 GB D1 database (at this size)', `${fmt(10e9 / (d1 / total) / 1e6, 1)} million`);
  line('R2 index bytes per event moved out (D1 pages)', `${fmt(indexBytes / movedOut, 1)} (${fmt(indexBytes / 1e6, 1)} MB, ${indexRows.toLocaleString('en')} rows: ${fmt(movedOut / indexRows, 2)} events per row)`);
  line(`retention to ${hotDays} days`, `${fmt(retentionSeconds, 1)} s, ${movedOut.toLocaleString('en')} events moved out of D1, ${inD1After.toLocaleString('en')} left (recent, orders, and those resolved before archiving began)`);
  line(`timeline page, hot (limit 20, ${people.length} people)`, `p50 ${fmt(pct(hot.ms, 50), 1)} ms, p99 ${fmt(pct(hot.ms, 99), 1)} ms`);
  line('timeline page, cold (same people and events)', `p50 ${fmt(pct(cold.ms, 50), 1)} ms, p99 ${fmt(pct(cold.ms, 99), 1)} ms (${fmt(pct(cold.ms, 50) / pct(hot.ms, 50), 1)}x / ${fmt(pct(cold.ms, 99) / pct(hot.ms, 99), 1)}x hot)`);
} catch (err) {
  console.error(`collector output (last lines):\n${collector.output().split('\n').slice(-40).join('\n')}`);
  throw err;
} finally {
  await collector.stop();
  if (!values.keep) rmSync(stateDir, { recursive: true, force: true });
}

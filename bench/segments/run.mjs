// bench/segments: 100k profiles and 1M events on local D1 (loaded with SQL, not through ingest),
// then through the real collector (wrangler dev on workerd):
//   - the time to create (= backfill) trait, behavioural and time-window segments;
//   - the time of an on-demand re-evaluation of all of them (what the cron does);
//   - the per-batch overhead of real-time membership updates on ingest: the same batches of
//     100 events for known people, sent one after another, before and after the segments exist.
//
//   node bench/segments/run.mjs [--profiles 100000] [--events 1000000] [--batches 40]
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { spawn } from 'node:child_process';
import { applyMigrations, projectRoot, randomToken, startCollector, wranglerEnv } from '../../scripts/lib/local-collector.mjs';
import { serverTiming } from '../../scripts/lib/server-timing.mjs';
import { fmt, sampleEvent } from '../lib/load.mjs';

const { values } = parseArgs({
  options: {
    profiles: { type: 'string', default: '100000' },
    events: { type: 'string', default: '1000000' },
    batches: { type: 'string', default: '40' },
  },
});
const PROFILES = Number(values.profiles);
const EVENTS = Number(values.events);
const BATCHES = Number(values.batches);
const DAY = 86_400_000;
const NOW = Date.now();
const WS = 'ws_bench';
const secretKey = `sk_bench${randomToken().slice(0, 32)}`;
const writeKey = `wk_bench${randomToken().slice(0, 32)}`;
const sha256 = (s) => createHash('sha256').update(s).digest('hex');

// Deterministic spread: profile of event x is (x * 7919) % PROFILES (7919 is prime, so every
// profile gets EVENTS / PROFILES events); names and categories rotate per profile's k-th event.
const loadSql = `
INSERT INTO workspaces (id, name, settings, created_at) VALUES ('${WS}', 'bench', '{"ipPolicy":"keep"}', ${NOW});
INSERT INTO api_keys (id, workspace_id, kind, scopes, key_hash, prefix, created_at) VALUES
  ('key_bench_s', '${WS}', 'secret', 'read admin', '${sha256(secretKey)}', '${secretKey.slice(0, 7)}', ${NOW}),
  ('key_bench_w', '${WS}', 'write', '', '${sha256(writeKey)}', '${writeKey.slice(0, 7)}', ${NOW});
WITH RECURSIVE n(x) AS (SELECT 0 UNION ALL SELECT x + 1 FROM n WHERE x < ${PROFILES - 1})
INSERT INTO profiles (id, workspace_id, canonical_id, traits, computed, first_seen, last_seen, event_count, revenue, created_at, updated_at)
SELECT 'bp_' || x, '${WS}', 'bp_' || x,
  json_object('plan', CASE x % 4 WHEN 0 THEN 'pro' ELSE 'free' END, 'country', CASE x % 3 WHEN 0 THEN 'ID' WHEN 1 THEN 'SG' ELSE 'MY' END),
  '{}', ${NOW - 90 * DAY}, ${NOW} - (x % 60) * ${DAY}, ${EVENTS / PROFILES}, 0, ${NOW}, ${NOW} FROM n;
WITH RECURSIVE n(x) AS (SELECT 0 UNION ALL SELECT x + 1 FROM n WHERE x < ${PROFILES - 1})
INSERT INTO identities (workspace_id, type, value, profile_id, created_at)
SELECT '${WS}', 'anonymous_id', 'anon-bench-' || x, 'bp_' || x, ${NOW} FROM n;
WITH RECURSIVE n(x) AS (SELECT 0 UNION ALL SELECT x + 1 FROM n WHERE x < ${EVENTS - 1})
INSERT INTO events (workspace_id, message_id, type, event, anonymous_id, profile_id, timestamp, received_at, properties)
SELECT '${WS}', 'bm-' || x, 'track',
  CASE (x + x / ${PROFILES}) % 4 WHEN 0 THEN 'Product Viewed' WHEN 1 THEN 'Product Added' WHEN 2 THEN 'Order Completed' ELSE 'Page Scrolled' END,
  'anon-bench-' || ((x * 7919) % ${PROFILES}), 'bp_' || ((x * 7919) % ${PROFILES}),
  ${NOW} - ((x * 104729) % ${90 * DAY}), ${NOW},
  json_object('category', CASE (x + 7 * (x / ${PROFILES})) % 3 WHEN 0 THEN 'spicy' WHEN 1 THEN 'sweet' ELSE 'sour' END, 'total', x % 50 + 1)
FROM n;
`;

const SEGMENTS = [
  ['pro_in_id', 'trait: plan is pro and lives in ID', { and: [{ trait: 'plan', op: 'eq', value: 'pro' }, { trait: 'country', op: 'eq', value: 'ID' }] }],
  ['spicy_30d', 'behavioural: ordered spicy food in the last 30 days', {
    event: 'Order Completed', where: [{ property: 'category', op: 'eq', value: 'spicy' }], within: { days: 30 },
  }],
  ['orders_2x_60d', 'behavioural: 2+ orders in 60 days', { event: 'Order Completed', within: { days: 60 }, count: { gte: 2 } }],
  ['cart_abandoners', 'behavioural: added to cart in 7 days, no order in 2 days', {
    and: [{ event: 'Product Added', within: { days: 7 } }, { not: { event: 'Order Completed', within: { days: 2 } } }],
  }],
  ['dormant_30d', 'computed: last seen over 30 days ago', { computed: 'lastSeen', op: 'lt', value: { daysAgo: 30 } }],
];

/** Runs a SQL file against the local D1 under `stateDir` (wrangler d1 execute --local). */
function executeSql(stateDir, file) {
  return new Promise((resolve, reject) => {
    const args = ['node_modules/wrangler/bin/wrangler.js', 'd1', 'execute', 'DB', '--local', '--persist-to', stateDir, '--file', file, '--yes'];
    const child = spawn(process.execPath, args, { cwd: projectRoot, env: wranglerEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    child.on('exit', (code) => (code === 0 ? resolve(output) : reject(new Error(`wrangler d1 execute exited ${code}\n${output.slice(-4000)}`))));
  });
}

/**
 * POST JSON; repeats the request once when wrangler dev answers that it restarted the runtime
 * mid-request (it does, rarely, on this loaded 2-core machine after long requests). A repeated
 * ingest batch dedupes by messageId; a repeated segment creation answers 409 if the first landed.
 */
async function post(url, headers, body) {
  for (let attempt = 1; ; attempt++) {
    const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
    if (res.status === 503 && attempt === 1 && (await res.clone().text()).includes('restarted mid-request')) {
      restarts++;
      await new Promise((r) => setTimeout(r, 2000));
      continue;
    }
    return res;
  }
}
let restarts = 0;

const auth = (key) => ({ authorization: `Bearer ${key}`, 'content-type': 'application/json' });

async function timed(fn) {
  const t0 = performance.now();
  const value = await fn();
  return { ms: performance.now() - t0, value };
}

/** Sends `count` batches of 100 events for known people, one after another; latency per batch. */
async function ingestBatches(url, count, runId) {
  const latencies = [];
  let segmentsMs = 0;
  for (let b = 0; b < count; b++) {
    const batch = Array.from({ length: 100 }, (_, j) => {
      const e = sampleEvent(b * 100 + j, { runId, users: 1 });
      const person = (b * 100 + j) * 13 % PROFILES;
      return { ...e, anonymousId: `anon-bench-${person}`, userId: undefined };
    });
    const { ms, value } = await timed(async () => {
      const res = await post(`${url}/v1/batch`, { authorization: `Basic ${btoa(`${writeKey}:`)}` }, { batch });
      const text = await res.text();
      segmentsMs += serverTiming(res).segments ?? NaN;
      if (res.status !== 200) console.error(`ingest ${res.status}: ${text.slice(0, 500)}\n${collector.output().slice(-3000)}`);
      return res.status;
    });
    if (value !== 200) throw new Error(`ingest answered ${value}`);
    latencies.push(ms);
  }
  latencies.sort((a, b) => a - b);
  const mean = latencies.reduce((a, b) => a + b, 0) / latencies.length;
  return {
    mean,
    p50: latencies[Math.floor(latencies.length / 2)],
    p99: latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * 0.99))],
    segmentsMean: segmentsMs / count,
  };
}

const stateDir = mkdtempSync(path.join(tmpdir(), 'satu-bench-segments-'));
let collector;
try {
  console.log(`bench/segments: ${PROFILES} profiles, ${EVENTS} events, local D1 (wrangler dev on workerd), loopback\n`);
  await applyMigrations(stateDir);
  const sqlFile = path.join(stateDir, 'load.sql');
  writeFileSync(sqlFile, loadSql);
  const load = await timed(() => executeSql(stateDir, sqlFile));
  console.log(`loaded in ${fmt(load.ms / 1000, 1)} s (bulk SQL)`);

  const token = randomToken();
  collector = await startCollector({ stateDir, adminToken: token });
  const url = collector.url;

  // Warm up the isolate and SQLite's page cache on both paths.
  await ingestBatches(url, 3, 'warm');
  const before = await ingestBatches(url, BATCHES, 'before');

  console.log('\n| segment | kind | members | create + backfill (ms) |');
  console.log('|---|---|---:|---:|');
  for (const [key, label, condition] of SEGMENTS) {
    const { ms, value } = await timed(async () => {
      const res = await post(`${url}/v1/segments`, auth(secretKey), { key, name: label, condition });
      // 409 after a repeated request: the first one landed before the runtime restarted.
      if (res.status === 409) return { ...(await (await fetch(`${url}/v1/segments/${key}`, { headers: auth(secretKey) })).json()), repeated: true };
      if (res.status !== 201) throw new Error(`creating ${key}: ${res.status} ${await res.text()}`);
      return res.json();
    });
    console.log(`| ${key} | ${label.split(':')[0]} | ${value.size} | ${value.repeated ? 'n/a (dev runtime restarted)' : fmt(ms)} |`);
  }

  await ingestBatches(url, 3, 'warm2');
  const after = await ingestBatches(url, BATCHES, 'after');
  console.log(`\ningest, ${BATCHES} sequential batches of 100 events for known people:`);
  console.log('| segments defined | mean ms/batch | p50 | p99 | of which segment update (Server-Timing) |');
  console.log('|---:|---:|---:|---:|---:|');
  console.log(`| 0 | ${fmt(before.mean, 1)} | ${fmt(before.p50, 1)} | ${fmt(before.p99, 1)} | ${fmt(before.segmentsMean, 1)} |`);
  console.log(`| ${SEGMENTS.length} | ${fmt(after.mean, 1)} | ${fmt(after.p50, 1)} | ${fmt(after.p99, 1)} | ${fmt(after.segmentsMean, 1)} |`);
  console.log(
    `real-time overhead: ${fmt(after.segmentsMean, 1)} ms per batch of 100 events measured in the worker` +
      ` (${fmt((after.segmentsMean / after.mean) * 100)}% of the request); end to end ${fmt(after.mean - before.mean, 1)} ms`,
  );
  const all = await timed(async () => {
    const res = await post(`${url}/v1/segments/evaluate`, auth(secretKey), {});
    return res.json();
  });
  console.log(`\nre-evaluate all ${SEGMENTS.length} segments over ${PROFILES} profiles (what the cron does): ${fmt(all.ms)} ms`);

  if (restarts > 0) console.log(`(wrangler dev restarted its runtime ${restarts} time(s); those requests were repeated once)`);
} finally {
  await collector?.stop();
  rmSync(stateDir, { recursive: true, force: true });
}

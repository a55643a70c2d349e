// Throws generated hostile requests at a locally started collector, with a parallel stream of
// valid events. Pass: zero 5xx, every error in the documented envelope, every valid event
// stored exactly once. Reproducible: the same --seed sends the same requests.
//
//   node bench/fuzz/run.mjs [--seed 7] [--requests 10000] [--valid 3000] [--concurrency 16]
import { spawn } from 'node:child_process';
import http from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { applyMigrations, createWorkspace, projectRoot, randomToken, startCollector, wranglerEnv } from '../../scripts/lib/local-collector.mjs';
import { waitResolved } from '../../scripts/lib/resolved.mjs';
import { generators, validMessage } from './generators.mjs';
import { prng } from './prng.mjs';

const { values: opts } = parseArgs({
  options: {
    seed: { type: 'string', default: '7' },
    requests: { type: 'string', default: '10000' },
    valid: { type: 'string', default: '3000' },
    concurrency: { type: 'string', default: '16' },
    // Replay one category only, e.g. --only unicode, to chase a failure.
    only: { type: 'string' },
  },
});
const seed = Number(opts.seed);
const HOSTILE = Number(opts.requests);
const VALID_EVENTS = Number(opts.valid);
const CONCURRENCY = Number(opts.concurrency);
const r = prng(seed);

/** An answer is well-formed when errors carry exactly {error:{code,message,field?}}. */
export function envelopeProblem(status, method, text) {
  if (status < 400 || method === 'HEAD') return null;
  let body;
  try {
    body = JSON.parse(text);
  } catch {
    return `not JSON: ${text.slice(0, 80)}`;
  }
  if (!body || typeof body !== 'object' || Object.keys(body).join() !== 'error') return `not an envelope: ${text.slice(0, 120)}`;
  const { code, message, field, ...rest } = body.error ?? {};
  if (typeof code !== 'string' || !code || typeof message !== 'string' || (field !== undefined && typeof field !== 'string') || Object.keys(rest).length) {
    return `bad error object: ${text.slice(0, 120)}`;
  }
  return null;
}

// Hostile requests go over a fresh connection each (agent: false): a server that answers 413
// before reading an oversize body and closes the socket must not poison a shared keep-alive pool.
function sendFresh(base, req) {
  return new Promise((resolve, reject) => {
    const url = new URL(base + req.path);
    const body = req.body === undefined ? undefined : Buffer.isBuffer(req.body) ? req.body : Buffer.from(req.body);
    const headers = { ...req.headers, ...(body ? { 'content-length': String(body.length) } : {}) };
    let answered = false;
    const request = http.request({ host: url.hostname, port: url.port, path: url.pathname + url.search, method: req.method, headers, agent: false }, (res) => {
      answered = true;
      const chunks = [];
      res.on('data', (d) => chunks.push(d));
      res.on('end', () => resolve({ status: res.statusCode, text: Buffer.concat(chunks).toString('utf8'), headers: new Headers(Object.entries(res.headers).map(([k, v]) => [k, String(v)])) }));
      res.on('error', reject);
    });
    request.on('error', (err) => {
      if (!answered) reject(Object.assign(err, { oversize: (body?.length ?? 0) > 64 * 1024 }));
    });
    if (body) request.end(body);
    else request.end();
  });
}

async function send(base, req) {
  const res = await fetch(base + req.path, { method: req.method, headers: req.headers, body: req.body, redirect: 'manual' });
  const text = await res.text();
  return { status: res.status, text, headers: res.headers };
}

async function setup(url, adminToken) {
  const A = await createWorkspace(url, adminToken, 'Fuzz A');
  const B = await createWorkspace(url, adminToken, 'Fuzz B');
  const mk = async (ws, body) => {
    const res = await fetch(`${url}/v1/keys`, { method: 'POST', headers: { authorization: `Bearer ${ws.secretKey}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    if (res.status !== 201) throw new Error(`creating a key: ${res.status} ${await res.text()}`);
    return res.json();
  };
  A.readKey = (await mk(A, { kind: 'secret', scopes: ['read'] })).key;
  const revoked = await mk(A, { kind: 'secret', scopes: ['read', 'admin'] });
  await fetch(`${url}/v1/keys/${revoked.id}/revoke`, { method: 'POST', headers: { authorization: `Bearer ${A.secretKey}` } });
  A.revokedKey = revoked.key;
  A.spareKeyId = (await mk(A, { kind: 'write' })).id;
  B.spareKeyId = (await mk(B, { kind: 'write' })).id;
  return { A, B, admin: adminToken };
}

function validTasks(prefix) {
  const tasks = [];
  let n = 0;
  while (n < VALID_EVENTS) {
    const size = Math.min(1 + r.int(20), VALID_EVENTS - n);
    const batch = Array.from({ length: size }, () => ({ ...validMessage(r, `${prefix}${n++}`) }));
    tasks.push(batch);
    if (r.chance(0.1)) tasks.push(batch); // a retry of the same batch: must not store twice
  }
  return tasks;
}

// What the valid stream left, and how many stored JSON documents SQLite's JSON functions cannot
// read (a document nested deeper than SQLite's 1000 levels makes every json_extract over the
// table fail: one hostile event must never poison later queries).
async function storedCounts(stateDir, workspaceId, prefix) {
  const unreadable = ['properties', 'traits', 'context', 'integrations'].map((c) => `coalesce(json_valid(${c}), 1) = 0`).join(' OR ');
  const sql = `SELECT count(*) AS n, count(DISTINCT message_id) AS distinct_ids,
    (SELECT count(*) FROM events WHERE ${unreadable}) AS unreadable
    FROM events WHERE workspace_id = '${workspaceId}' AND message_id LIKE '${prefix}%'`;
  const out = await new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(projectRoot, 'node_modules/wrangler/bin/wrangler.js'), 'd1', 'execute', 'DB', '--local', '--persist-to', stateDir, '--json', '--command', sql], { cwd: projectRoot, env: wranglerEnv() });
    let text = '';
    child.stdout.on('data', (d) => (text += d));
    child.stderr.on('data', () => {});
    child.on('exit', (code) => (code === 0 ? resolve(text) : reject(new Error(`d1 execute exited ${code}: ${text}`))));
  });
  return JSON.parse(out)[0].results[0];
}

async function main() {
  const stateDir = await mkdtemp(path.join(tmpdir(), 'satu-fuzz-'));
  const adminToken = randomToken();
  await applyMigrations(stateDir);
  const collector = await startCollector({ stateDir, adminToken });
  const started = Date.now();
  const byStatus = new Map();
  const byCategory = new Map();
  const failures = [];
  let firstFailure = null;
  const count = (map, key) => map.set(key, (map.get(key) ?? 0) + 1);
  try {
    const keys = await setup(collector.url, adminToken);
    const prefix = `valid-${seed}-`;
    const valid = validTasks(prefix);
    const names = opts.only ? [opts.only] : Object.keys(generators);
    // One queue: hostile requests with the valid batches spread evenly among them.
    const total = HOSTILE + valid.length;
    let next = 0;
    let hostileSent = 0;
    let validSent = 0;
    const every = total / valid.length;
    const take = () => {
      if (next >= total) return null;
      const i = next++;
      if (validSent < valid.length && i >= validSent * every) return { kind: 'valid', batch: valid[validSent++] };
      if (hostileSent >= HOSTILE) return { kind: 'valid', batch: valid[validSent++] };
      hostileSent++;
      const category = names[r.int(names.length)];
      return { kind: 'hostile', category, req: generators[category](r, keys) };
    };
    const worker = async () => {
      for (let task = take(); task; task = take()) {
        if (task.kind === 'valid') {
          let res;
          try {
            res = await send(collector.url, { method: 'POST', path: '/v1/batch', headers: { authorization: `Basic ${Buffer.from(`${keys.A.writeKey}:`).toString('base64')}`, 'content-type': 'application/json' }, body: JSON.stringify({ batch: task.batch }) });
          } catch (err) {
            count(byStatus, 'valid network error');
            failures.push(`valid batch: ${err.cause?.code ?? err.message}`);
            firstFailure ??= { req: { note: 'valid batch' }, log: collector.output().slice(-3000) };
            continue;
          }
          count(byStatus, `valid ${res.status}`);
          const body = res.status === 200 ? JSON.parse(res.text) : null;
          if (!body || body.accepted !== task.batch.length || body.rejected.length) failures.push(`valid batch answered ${res.status}: ${res.text.slice(0, 200)}`);
          continue;
        }
        const { category, req } = task;
        let res;
        try {
          res = await sendFresh(collector.url, req);
        } catch (err) {
          if (err.oversize) {
            // The collector refused an oversize body before reading it and closed: allowed HTTP.
            count(byStatus, 'closed early (oversize body)');
            continue;
          }
          count(byStatus, 'network error');
          failures.push(`${category} ${req.method} ${req.path.slice(0, 80)}: ${err.cause?.code ?? err.message}`);
          firstFailure ??= { req: { ...req, body: String(req.body).slice(0, 2000) }, log: collector.output().slice(-3000) };
          continue;
        }
        count(byStatus, String(res.status));
        count(byCategory, `${category} ${res.status}`);
        const problem = res.status >= 500 ? `status ${res.status}: ${res.text.slice(0, 200)}` : envelopeProblem(res.status, req.method, res.text);
        const injected = res.headers.get('x-injected') ?? res.headers.get('set-cookie');
        if (problem || injected) {
          failures.push(`${category} ${req.method} ${req.path.slice(0, 80)} -> ${problem ?? `injected header ${injected}`}`);
          firstFailure ??= { req: { ...req, body: String(req.body).slice(0, 2000) }, log: collector.output().slice(-3000) };
        }
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    const seconds = (Date.now() - started) / 1000;
    await waitResolved(collector.url, keys.A.secretKey); // stored means resolved: ingest answers before that
    await collector.stop();
    const stored = await storedCounts(stateDir, keys.A.id, prefix);
    if (stored.n !== VALID_EVENTS || stored.distinct_ids !== VALID_EVENTS) {
      failures.push(`valid events: sent ${VALID_EVENTS} unique, stored ${stored.n} rows with ${stored.distinct_ids} distinct ids`);
    }
    if (stored.unreadable > 0) failures.push(`${stored.unreadable} stored events hold JSON that SQLite cannot read`);

    console.log(`seed ${seed}: ${hostileSent} hostile requests + ${valid.length} valid batches (${VALID_EVENTS} events) in ${seconds.toFixed(1)} s, concurrency ${CONCURRENCY}`);
    console.log('\nanswers by status:');
    for (const [status, n] of [...byStatus].sort()) console.log(`  ${status.padEnd(16)} ${n}`);
    console.log('\nhostile answers by category and status:');
    for (const [key, n] of [...byCategory].sort()) console.log(`  ${key.padEnd(24)} ${n}`);
    console.log(`\nvalid events stored: ${stored.n} rows, ${stored.distinct_ids} distinct (expected ${VALID_EVENTS})`);
    console.log(`stored events with JSON unreadable by SQLite: ${stored.unreadable}`);
    const fiveXX = [...byStatus].filter(([s]) => /^5/.test(s)).reduce((a, [, n]) => a + n, 0);
    console.log(`5xx answers: ${fiveXX}; failures: ${failures.length}`);
    for (const f of failures.slice(0, 30)) console.log(`  FAIL ${f}`);
    if (firstFailure) console.log('\nfirst failing request:', JSON.stringify(firstFailure.req), '\ncollector log:\n', firstFailure.log);
    console.log(failures.length === 0 ? '\nPASS' : '\nFAIL');
    process.exitCode = failures.length === 0 ? 0 : 1;
  } finally {
    await collector.stop();
    await rm(stateDir, { recursive: true, force: true });
  }
}

await main();

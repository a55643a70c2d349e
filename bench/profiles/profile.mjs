// bench/profiles/profile.mjs: where the runtime's CPU goes for profile reads answered by the read
// store (GET /v1/profiles/{ref} and the first page of /events), beside GET /health. Loads a small
// workspace (--people, 10 events each), waits until the read store has caught up, then for each
// kind sends exactly --requests reads, 8 at a time, sampling the worker isolate with the V8
// profiler through wrangler's inspector (the worker and its Durable Objects share the isolate under
// wrangler dev). Prints the runtime's CPU per request of each kind (worker, objects and local D1;
// profiling adds its own share, the same for every kind), and self and inclusive shares by function.
//
//   node bench/profiles/profile.mjs [--people 2000] [--requests 4000] [--top 30]
// (`ws` comes with miniflare; Node 20 has no WebSocket of its own.)
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import WebSocket from 'ws';
import { applyMigrations, createWorkspace, randomToken, startCollector } from '../../scripts/lib/local-collector.mjs';
import { waitResolved } from '../../scripts/lib/resolved.mjs';
import { fmt, sampleEvent } from '../lib/load.mjs';

const { values } = parseArgs({ options: { people: { type: 'string', default: '2000' }, requests: { type: 'string', default: '4000' }, top: { type: 'string', default: '30' } } });
const PEOPLE = Number(values.people);
const REQUESTS = Number(values.requests);
const INSPECTOR = 9334;
/** The source line of an anonymous function's frame (set once the inspector is connected). */
let lineOf = async () => '';

const stateDir = mkdtempSync(path.join(tmpdir(), 'satu-profile-reads-'));
const adminToken = randomToken();
await applyMigrations(stateDir);
const c = await startCollector({ stateDir, adminToken, inspectorPort: INSPECTOR, devtools: true });
try {
  const ws = await createWorkspace(c.url, adminToken);
  const write = { authorization: `Basic ${Buffer.from(`${ws.writeKey}:`).toString('base64')}`, 'content-type': 'application/json' };
  const read = { authorization: `Bearer ${ws.secretKey}` };
  for (let from = 0; from < PEOPLE * 10; from += 500) {
    const batch = Array.from({ length: 500 }, (_, j) => sampleEvent(from + j, { users: PEOPLE, runId: 'p' }));
    const res = await fetch(`${c.url}/v1/batch`, { method: 'POST', headers: write, body: JSON.stringify({ batch }) });
    if (!res.ok) throw new Error(`load: ${res.status} ${await res.text()}`);
  }
  await waitResolved(c.url, ws.secretKey);
  for (;;) {
    const s = await (await fetch(`${c.url}/v1/admin/workspaces/${ws.id}/profile-reads`, { headers: { authorization: `Bearer ${adminToken}` } })).json();
    if (s.caughtUp) break;
    await new Promise((r) => setTimeout(r, 1000));
  }
  const ref = (j) => encodeURIComponent(`anonymous_id:anon-p-${(j * 7919) % PEOPLE}`);
  const kinds = {
    health: [(j) => '/health', {}],
    profile: [(j) => `/v1/profiles/${ref(j)}`, read],
    events: [(j) => `/v1/profiles/${ref(j)}/events?limit=20`, read],
  };
  const run = async ([pathOf, headers], n) => {
    let i = 0;
    const cache = {};
    const worker = async () => {
      while (i < n) {
        const res = await fetch(`${c.url}${pathOf(i++)}`, { headers });
        await res.arrayBuffer();
        const said = /cache;desc=(\w+)/.exec(res.headers.get('server-timing') ?? '')?.[1];
        if (said) cache[said] = (cache[said] ?? 0) + 1;
      }
    };
    await Promise.all(Array.from({ length: 8 }, worker));
    return cache;
  };
  for (const kind of Object.values(kinds)) await run(kind, 500); // warm-up

  const targets = await (await fetch(`http://127.0.0.1:${INSPECTOR}/json`)).json();
  const target = targets.find((x) => /satu/.test(x.title)) ?? targets[0];
  const sock = new WebSocket(target.webSocketDebuggerUrl);
  await new Promise((r) => sock.on('open', r));
  let id = 0;
  const pending = new Map();
  sock.on('message', (m) => {
    const d = JSON.parse(m);
    if (pending.has(d.id)) {
      pending.get(d.id)(d);
      pending.delete(d.id);
    }
  });
  const send = (method, params = {}) =>
    new Promise((r) => {
      const i = ++id;
      pending.set(i, r);
      sock.send(JSON.stringify({ id: i, method, params }));
    });
  // The bundle's source, to show the line of each anonymous function.
  await send('Debugger.enable');
  const sources = new Map();
  lineOf = async (cf) => {
    if (cf.functionName || cf.scriptId === '0' || cf.lineNumber < 0) return '';
    if (!sources.has(cf.scriptId)) sources.set(cf.scriptId, (await send('Debugger.getScriptSource', { scriptId: cf.scriptId })).result?.scriptSource?.split('\n') ?? []);
    return `  | ${(sources.get(cf.scriptId)[cf.lineNumber] ?? '').trim().slice(0, 100)}`;
  };
  await send('Profiler.enable');
  await send('Profiler.setSamplingInterval', { interval: 100 });
  console.log(`bench/profiles/profile: ${PEOPLE} people, ${REQUESTS} reads of each kind, 8 concurrent, every read a store hit unless said\n`);
  for (const [name, kind] of Object.entries(kinds)) {
    await send('Profiler.start');
    const cpuBefore = c.cpuMs();
    const cache = await run(kind, REQUESTS);
    const cpu = (c.cpuMs() - cpuBefore) / REQUESTS;
    const { result } = await send('Profiler.stop');
    console.log(`--- ${name}: runtime CPU ${fmt(cpu, 3)} ms per request${Object.keys(cache).length ? `, cache ${JSON.stringify(cache)}` : ''}`);
    await printProfile(result.profile, Number(values.top));
  }
  sock.close();
} finally {
  await c.stop();
  rmSync(stateDir, { recursive: true, force: true });
}

/** Self and inclusive shares of the samples by function (idle excluded: the share of CPU spent in JS). */
async function printProfile(prof, top) {
  const byId = new Map(prof.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of prof.nodes) for (const ch of n.children ?? []) parent.set(ch, n.id);
  const counts = new Map();
  for (const s of prof.samples) counts.set(s, (counts.get(s) ?? 0) + 1);
  const frames = new Map();
  const keyOf = (cf) => `${cf.functionName || '(anon)'} ${cf.url.split('/').slice(-2).join('/')}:${cf.lineNumber}`;
  const self = new Map();
  const incl = new Map();
  let busy = 0;
  for (const [nid, n] of counts) {
    const cf = byId.get(nid).callFrame;
    if (cf.functionName === '(idle)') continue;
    busy += n;
    self.set(keyOf(cf), (self.get(keyOf(cf)) ?? 0) + n);
    frames.set(keyOf(cf), cf);
    const seen = new Set();
    for (let cur = nid; cur !== undefined; cur = parent.get(cur)) {
      const k = keyOf(byId.get(cur).callFrame);
      frames.set(k, byId.get(cur).callFrame);
      if (!seen.has(k)) {
        seen.add(k);
        incl.set(k, (incl.get(k) ?? 0) + n);
      }
    }
  }
  const total = prof.samples.length;
  console.log(`samples ${total}, busy ${fmt((100 * busy) / total, 1)}%; self, % of busy:`);
  for (const [k, v] of [...self].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`${fmt((100 * v) / busy, 1).padStart(6)}  ${k}${await lineOf(frames.get(k))}`);
  console.log('inclusive, % of busy:');
  for (const [k, v] of [...incl].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`${fmt((100 * v) / busy, 1).padStart(6)}  ${k}${await lineOf(frames.get(k))}`);
  console.log('');
}

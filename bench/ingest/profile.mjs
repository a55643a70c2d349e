// bench/ingest/profile.mjs: where the worker isolate's CPU goes under bench/ingest's batch-100,
// 100-people load (request handling, the inbox Durable Object and the resolver share the isolate
// under wrangler dev). Samples with the V8 profiler through wrangler's inspector port and prints
// self and inclusive shares by function. Local D1's own SQLite work runs elsewhere and shows as idle.
//
//   node bench/ingest/profile.mjs [--seconds 8] [--requests N]
// --requests sends exactly N requests (however long they take): the same work in every run, so two
// runs compare on a machine whose speed varies.
// (`ws` comes with miniflare; Node 20 has no WebSocket of its own.)
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import WebSocket from 'ws';
import { parseArgs } from 'node:util';
import { applyMigrations, createWorkspace, randomToken, startCollector } from '../../scripts/lib/local-collector.mjs';
import { runLoad, sampleEvent } from '../lib/load.mjs';
import { waitResolved } from '../../scripts/lib/resolved.mjs';

const { values } = parseArgs({ options: { seconds: { type: 'string', default: '8' }, requests: { type: 'string' } } });
const bounds = values.requests ? { durationMs: 600_000, maxRequests: Number(values.requests) } : { durationMs: Number(values.seconds) * 1000 };
const stateDir = mkdtempSync(path.join(tmpdir(), 'prof-'));
const adminToken = randomToken();
await applyMigrations(stateDir);
const c = await startCollector({ stateDir, adminToken, inspectorPort: 9333 });
const ws = await createWorkspace(c.url, adminToken);
const size = 100;
const body = (i) => JSON.stringify({ batch: Array.from({ length: size }, (_, j) => sampleEvent(i * size + j, { runId: 'p' })) });
const headers = { authorization: `Basic ${Buffer.from(ws.writeKey + ':').toString('base64')}`, 'content-type': 'application/json' };
await runLoad({ url: `${c.url}/v1/batch`, headers, body, concurrency: 8, durationMs: 1000, eventsPerRequest: size });
await waitResolved(c.url, ws.secretKey);
const targets = await (await fetch('http://127.0.0.1:9333/json')).json();
const t = targets.find((x) => /satu/.test(x.title)) ?? targets[0];
const sock = new WebSocket(t.webSocketDebuggerUrl);
await new Promise((r) => sock.on('open', r));
let id = 0; const pending = new Map();
sock.on('message', (m) => { const d = JSON.parse(m); if (pending.has(d.id)) { pending.get(d.id)(d); pending.delete(d.id); } });
// The bundle's source, to show the line of each anonymous function (read after the profile).
const sources = new Map();
const lineOf = async (scriptId, line) => {
  if (!sources.has(scriptId)) sources.set(scriptId, (await send('Debugger.getScriptSource', { scriptId })).result?.scriptSource?.split('\n') ?? []);
  return (sources.get(scriptId)[line] ?? '').trim().slice(0, 90);
};
const send = (method, params = {}) => new Promise((r) => { const i = ++id; pending.set(i, r); sock.send(JSON.stringify({ id: i, method, params })); });
await send('Profiler.enable'); await send('Profiler.setSamplingInterval', { interval: 200 }); await send('Profiler.start');
const cpuBefore = c.cpuMs();
const r = await runLoad({ url: `${c.url}/v1/batch`, headers, body: (i) => body(i + 1e6), concurrency: 8, ...bounds, eventsPerRequest: size, cpuMs: c.cpuMs });
await waitResolved(c.url, ws.secretKey);
// The runtime's CPU per request until every event is resolved (profiling adds its own share).
console.log(`requests ${r.requests}, runtime CPU per request until resolved ${((c.cpuMs() - cpuBefore) / r.requests).toFixed(1)} ms (${r.cpuPerRequest.toFixed(1)} during the load)`);
const { result } = await send('Profiler.stop');
const prof = result.profile;
const byId = new Map(prof.nodes.map((n) => [n.id, n]));
const counts = new Map(); for (const s of prof.samples) counts.set(s, (counts.get(s) ?? 0) + 1);
const self = new Map(); const frames = new Map(); let total = 0;
for (const [nid, n] of counts) { const node = byId.get(nid); const cf = node.callFrame; const key = `${cf.functionName || '(anon)'} ${cf.url.split('/').slice(-2).join('/')}:${cf.lineNumber}`; self.set(key, (self.get(key) ?? 0) + n); frames.set(key, cf); total += n; }
console.log('events', r.events ?? r, 'samples', total);
await send('Debugger.enable');
for (const [k, v] of [...self].sort((a, b) => b[1] - a[1]).slice(0, 45)) {
  const cf = frames.get(k);
  const where = !cf.functionName && cf.scriptId !== '0' && cf.lineNumber >= 0 ? `  | ${await lineOf(cf.scriptId, cf.lineNumber)}` : '';
  console.log((100 * v / total).toFixed(1).padStart(5), k + where);
}
// inclusive by function name
const parent = new Map(); for (const n of prof.nodes) for (const ch of n.children ?? []) parent.set(ch, n.id);
const incl = new Map();
for (const [nid, n] of counts) { const seen = new Set(); let cur = nid; while (cur !== undefined) { const cf = byId.get(cur).callFrame; const key = `${cf.functionName || '(anon)'} ${cf.url.split('/').slice(-1)[0]}`; if (!seen.has(key)) { seen.add(key); incl.set(key, (incl.get(key) ?? 0) + n); } cur = parent.get(cur); } }
console.log('--- inclusive');
for (const [k, v] of [...incl].sort((a, b) => b[1] - a[1]).slice(0, 60)) console.log((100 * v / total).toFixed(1).padStart(5), k);
sock.close(); await c.stop(); process.exit(0);

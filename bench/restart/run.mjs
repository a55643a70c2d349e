// bench/restart: `npm start` must come back after a kill -9, every time, on the same state and port.
// Each round starts `npm start` in its own process group on one state directory, waits for
// "Satu is running", checks /health on the port and that every event sent in earlier rounds is still
// in the probe profile, sends one more, then kill -9s the whole process group at once and checks
// that nothing of it keeps the port (a collector that outlives its `npm start` would answer the next
// start's health check itself).
//
//   node bench/restart/run.mjs [--rounds 20] [--port 18787] [--example-port 18080] [--keep]
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { projectRoot, randomToken } from '../../scripts/lib/local-collector.mjs';
import { fmt } from '../lib/load.mjs';

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '20' },
    port: { type: 'string', default: '18787' },
    'example-port': { type: 'string', default: '18080' },
    keep: { type: 'boolean', default: false },
  },
});
const ROUNDS = Number(values.rounds);
const PORT = Number(values.port);
const stateDir = mkdtempSync(path.join(tmpdir(), 'satu-restart-'));
const env = {
  ...process.env,
  PORT: String(PORT),
  EXAMPLE_PORT: values['example-port'],
  SATU_STATE_DIR: stateDir,
  ADMIN_TOKEN: randomToken(),
  WRANGLER_SEND_METRICS: 'false',
  CLOUDFLARE_CF_FETCH_ENABLED: 'false',
};
const base = `http://127.0.0.1:${PORT}`;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** `npm start` in a process group of its own; resolves with the keys it printed once it is running. */
function start() {
  const child = spawn('npm', ['start'], { cwd: projectRoot, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  const ready = new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('not running after 180 s')), 180_000);
    child.stdout.on('data', () => {
      if (!output.includes('Press Ctrl-C to stop.')) return;
      clearTimeout(timer);
      resolve({ writeKey: output.match(/Write key\s+(\S+)/)[1], secretKey: output.match(/Secret key\s+(\S+)/)[1], workspace: output.match(/Workspace\s+.*\((\S+)\)/)[1] });
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`npm start exited ${code}`));
    });
  });
  return { child, ready, output: () => output };
}

const portIsFree = (port) =>
  new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });

/** Waits for ingest to have applied everything (404: a collector that resolves before answering). */
async function waitForResolved(secretKey) {
  for (const deadline = Date.now() + 30_000; Date.now() < deadline; await sleep(100)) {
    const res = await fetch(`${base}/v1/ingest/status`, { headers: { authorization: `Bearer ${secretKey}` } });
    if (res.status === 404 || (res.ok && (await res.json()).pending === 0)) return;
  }
  throw new Error('ingest still pending after 30 s');
}

async function probeCount(secretKey) {
  await waitForResolved(secretKey);
  const res = await fetch(`${base}/v1/profiles/user_id:restart-probe`, { headers: { authorization: `Bearer ${secretKey}` } });
  if (res.status === 404) return 0;
  if (!res.ok) throw new Error(`profile read answered ${res.status}`);
  return (await res.json()).computed.eventCount;
}

console.log(`bench/restart: ${ROUNDS} rounds of npm start -> check -> kill -9 of its process group, port ${PORT}, state ${stateDir}\n`);
const startTimes = [];
const failures = [];
let workspace = null;
let retries = 0;
for (let round = 1; round <= ROUNDS; round++) {
  const t0 = performance.now();
  const run = start();
  try {
    const keys = await run.ready;
    startTimes.push(performance.now() - t0);
    retries += (run.output().match(/could not bind a port/g) ?? []).length;
    const health = await fetch(`${base}/health`);
    if (!health.ok) throw new Error(`/health answered ${health.status}`);
    workspace ??= keys.workspace;
    if (keys.workspace !== workspace) throw new Error(`a new demo workspace ${keys.workspace} instead of ${workspace}: state lost`);
    const before = await probeCount(keys.secretKey);
    if (before !== round - 1) throw new Error(`probe profile holds ${before} events, expected ${round - 1}: data lost`);
    const sent = await fetch(`${base}/v1/track`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Basic ${btoa(`${keys.writeKey}:`)}` },
      body: JSON.stringify({ userId: 'restart-probe', event: 'Restarted', messageId: `restart-${round}` }),
    });
    if (!sent.ok) throw new Error(`track answered ${sent.status}`);
    console.log(`round ${round}: running after ${fmt(startTimes.at(-1) / 1000, 1)} s, health 200, ${before} earlier events kept`);
  } catch (err) {
    failures.push(round);
    console.log(`round ${round}: FAILED: ${err.message}\n--- npm start output (tail) ---\n${run.output().slice(-3000)}\n---`);
  }
  // The whole group at once, no chance to clean up: what a crash or the OOM killer does.
  try {
    process.kill(-run.child.pid, 'SIGKILL');
  } catch {
    /* already gone */
  }
  const killedAt = performance.now();
  while (!(await portIsFree(PORT))) {
    if (performance.now() - killedAt > 10_000) {
      failures.push(round);
      console.log(`round ${round}: FAILED: port ${PORT} still taken 10 s after the kill: the collector outlived npm start`);
      break;
    }
    await sleep(100);
  }
}

startTimes.sort((a, b) => a - b);
console.log(`\n${ROUNDS - new Set(failures).size}/${ROUNDS} restarts came back on port ${PORT} with their data; ${retries} wrangler starts retried on fresh ports after a bind failure; time to running p50 ${fmt(startTimes[Math.floor(startTimes.length / 2)] / 1000, 1)} s, max ${fmt(startTimes.at(-1) / 1000, 1)} s`);
if (!values.keep) rmSync(stateDir, { recursive: true, force: true });
process.exit(failures.length ? 1 : 0);

// bench/profiles waits, before it reads: for the resolver (nothing pending) and for the workspace's
// profile read store (caught up), with a progress line every 10 s.
import { fmt } from '../lib/load.mjs';

/**
 * Ingest may acknowledge before profiles are resolved: wait until `GET /v1/ingest/status` says
 * nothing is pending, saying so every 10 s. A collector without that route (404) resolves before it answers.
 */
export async function waitForResolved(url, secretKey, timeoutMs = 30 * 60_000) {
  const started = performance.now();
  for (let last = 0; ; ) {
    const res = await fetch(`${url}/v1/ingest/status`, { headers: { authorization: `Bearer ${secretKey}` } });
    if (res.status === 404) return 0;
    const status = await res.json();
    if (res.ok && status.pending === 0) return performance.now() - started;
    if (performance.now() - started > timeoutMs) throw new Error(`still ${status.pending} messages pending after ${timeoutMs} ms`);
    if (performance.now() - last > 10_000) {
      last = performance.now();
      console.log(`waiting for the resolver: ${JSON.stringify(status)}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** The workspace's profile read store, as the operator API reports it. */
export async function readStore(url, adminToken, workspaceId) {
  const res = await fetch(`${url}/v1/admin/workspaces/${workspaceId}/profile-reads`, { headers: { authorization: `Bearer ${adminToken}` }, signal: AbortSignal.timeout(60_000) });
  if (!res.ok) throw new Error(`profile-reads status: ${res.status} ${await res.text()}`);
  return res.json();
}

export const describeStore = (s) =>
  `${s.caughtUp ? 'caught up' : 'STILL CATCHING UP'}: ${s.views.current.toLocaleString('en')} current views, ${s.views.namedStale.toLocaleString('en')} named stale, ${s.views.older.toLocaleString('en')} older${s.sweeping ? ', sweeping' : ''}; ${s.views.refs.toLocaleString('en')} refs, ${fmt(s.views.bytes / 1e6, 1)} MB of answers (${fmt(s.views.bytes / Math.max(1, s.views.current), 0)} bytes per view)`;

/** Waits until the read store has every profile current (it catches up once ingest is quiet). */
export async function waitForStore(url, adminToken, workspaceId, timeoutMs = 30 * 60_000) {
  const started = performance.now();
  for (let last = performance.now(); ; ) {
    const s = await readStore(url, adminToken, workspaceId);
    if (s.caughtUp) return performance.now() - started;
    if (performance.now() - started > timeoutMs) return null;
    if (performance.now() - last > 10_000) {
      last = performance.now();
      console.log(`waiting for the read store: ${describeStore(s)}`);
    }
    // Not more often: each status counts the store's rows in the object the catch-up runs in.
    await new Promise((r) => setTimeout(r, 2000));
  }
}


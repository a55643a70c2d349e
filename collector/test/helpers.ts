import { env, exports } from 'cloudflare:workers';

export const ADMIN_TOKEN = 'test-admin-token';

const INGEST_PATH = /^\/v1\/(batch|track|identify|page|screen|group|alias|import)(\?|$)/;

/**
 * Sends a request to the collector Worker running in this workerd. Ingest is acknowledged before
 * the resolver applies it; for the tests that read right after ingesting, an answered ingest
 * request also waits until every workspace's inbox is resolved (`settleInboxes`). Tests of the
 * asynchronous behaviour itself use `callRaw`.
 */
export async function call(path: string, init: RequestInit & { json?: unknown } = {}): Promise<Response> {
  const res = await callRaw(path, init);
  if ((init.method ?? 'GET') === 'POST' && INGEST_PATH.test(path)) await settleInboxes();
  return res;
}

/** Runs every workspace's resolver until nothing due is pending (the alarm would do it a moment later). */
export async function settleInboxes(): Promise<void> {
  const { results } = await env.DB.prepare('SELECT id FROM workspaces').all<{ id: string }>();
  await Promise.all(results.map((w) => env.INBOX.get(env.INBOX.idFromName(w.id)).settle()));
}

/** Sends a request to the collector Worker running in this workerd, and only that. */
export function callRaw(path: string, init: RequestInit & { json?: unknown } = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  let body = init.body;
  if (init.json !== undefined) {
    body = JSON.stringify(init.json);
    if (!headers.has('content-type')) headers.set('content-type', 'application/json');
  }
  return exports.default.fetch(new Request(`http://collector.test${path}`, { ...init, headers, body }));
}

export interface TestWorkspace {
  id: string;
  name: string;
  writeKey: string;
  secretKey: string;
}

/**
 * A fresh workspace through the real admin API. It is placed on `DB` unless told otherwise, since
 * many tests read its rows from `env.DB` directly; collector/test/databases.test.ts tests placement.
 */
export async function createWorkspace(name = 'Test shop', database = 'DB'): Promise<TestWorkspace> {
  const res = await call('/v1/admin/workspaces', {
    method: 'POST',
    headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    json: { name, database },
  });
  if (res.status !== 201) throw new Error(`createWorkspace: ${res.status} ${await res.text()}`);
  return res.json();
}

/** HTTP Basic with the key as username, as Segment's server libraries send it. */
export const basic = (key: string) => `Basic ${btoa(`${key}:`)}`;

/** Posts a batch with the write key as Basic auth. */
export function sendBatch(writeKey: string, batch: unknown[], extra: Record<string, unknown> = {}) {
  return call('/v1/batch', { method: 'POST', headers: { authorization: basic(writeKey) }, json: { batch, ...extra } });
}

/** The D1 database that holds a workspace's data, as the directory maps it (directory/databases.ts). */
export async function workspaceDb(workspaceId: string): Promise<D1Database> {
  const row = await env.DB.prepare('SELECT database FROM workspaces WHERE id = ?').bind(workspaceId).first<{ database: string }>();
  if (!row) throw new Error(`no workspace ${workspaceId}`);
  return (env as unknown as Record<string, D1Database>)[row.database];
}

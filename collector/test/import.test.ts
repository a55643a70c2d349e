import { env } from 'cloudflare:workers';
import { beforeAll, describe, expect, it } from 'vitest';
import { basic, call, createWorkspace, type TestWorkspace } from './helpers';

let ws: TestWorkspace;
beforeAll(async () => {
  ws = await createWorkspace('Import shop');
});

const importBody = (body: string, contentType: string, query = '') =>
  call(`/v1/import${query}`, { method: 'POST', headers: { authorization: basic(ws.writeKey), 'content-type': contentType }, body });

interface Summary {
  ok: boolean;
  format: string;
  rows: number;
  accepted: number;
  rejectedCount: number;
  rejected: { index: number; code: string; field?: string }[];
}

describe('CSV contacts import', () => {
  const csv = [
    'userId,email,phone,first_name,plan,age,zip,vip',
    'c-1,Ana@Example.com,+6281234567,Ana,pro,34,01234,true',
    'c-2,budi@example.com,,"Budi, Jr.",free,29,,false',
    ',siti@example.com,,Siti,"line one',
    'line two",41,,',
    ',,,,nobody,,,',
  ].join('\r\n');

  it('turns rows into identify messages and summarises them', async () => {
    const res = await importBody(csv, 'text/csv');
    expect(res.status).toBe(200);
    const summary = await res.json<Summary>();
    expect(summary).toMatchObject({ ok: true, format: 'csv', rows: 4, accepted: 3, rejectedCount: 1 });
    expect(summary.rejected).toEqual([expect.objectContaining({ index: 4, code: 'missing_id' })]);

    const rows = await env.DB.prepare("SELECT user_id, traits FROM events WHERE workspace_id = ? AND type = 'identify' ORDER BY seq")
      .bind(ws.id)
      .all<{ user_id: string | null; traits: string }>();
    const traits = rows.results.map((r) => [r.user_id, JSON.parse(r.traits)]);
    expect(traits).toEqual([
      ['c-1', { email: 'Ana@Example.com', phone: '+6281234567', first_name: 'Ana', plan: 'pro', age: 34, zip: '01234', vip: true }],
      ['c-2', { email: 'budi@example.com', first_name: 'Budi, Jr.', plan: 'free', age: 29, vip: false }],
      [null, { email: 'siti@example.com', first_name: 'Siti', plan: 'line one\nline two', age: 41 }],
    ]);
  });

  it('is idempotent: importing the same file again stores nothing new', async () => {
    const before = await env.DB.prepare('SELECT count(*) AS n FROM events WHERE workspace_id = ?').bind(ws.id).first('n');
    const res = await importBody(csv, 'text/csv');
    expect(await res.json()).toMatchObject({ accepted: 3 });
    expect(await env.DB.prepare('SELECT count(*) AS n FROM events WHERE workspace_id = ?').bind(ws.id).first('n')).toBe(before);
  });

  it('refuses a CSV without an identifier column, naming the header', async () => {
    const res = await importBody('name,plan\nAna,pro\n', 'text/csv');
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { code: 'invalid_csv', field: 'header' } });
  });

  it('stops at a quote left open, keeping the rows before it and saying which row', async () => {
    const rows = ['userId,note', 'open-1,fine', 'open-2,"never closed', ...Array.from({ length: 3000 }, (_, i) => `open-x${i},${'z'.repeat(30)}`)];
    const res = await importBody(rows.join('\n'), 'text/csv');
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { code: 'invalid_csv', field: 'row', message: expect.stringContaining('Row 2 ') } });
    const stored = await env.DB.prepare("SELECT user_id FROM events WHERE user_id LIKE 'open-%'").all();
    expect(stored.results.map((r) => r.user_id)).toEqual(['open-1']);
  });
});

describe('NDJSON import', () => {
  it('stores the good lines, reports bad ones by line number, and dedupes', async () => {
    const lines = [
      JSON.stringify({ type: 'track', event: 'Order Completed', userId: 'n-1', messageId: 'nd-1', properties: { total: 10 } }),
      '{"type": "track", "event": ',
      '',
      JSON.stringify({ type: 'track', userId: 'n-1', messageId: 'nd-bad' }),
      JSON.stringify({ type: 'page', anonymousId: 'anon-n', messageId: 'nd-2' }),
      JSON.stringify({ type: 'track', event: 'Order Completed', userId: 'n-1', messageId: 'nd-1' }),
    ].join('\n');
    const res = await importBody(lines, 'application/x-ndjson');
    const summary = await res.json<Summary>();
    expect(summary).toMatchObject({ format: 'ndjson', rows: 5, accepted: 3, rejectedCount: 2 }); // the blank line is not a row
    expect(summary.rejected.map((r) => [r.index, r.code, r.field])).toEqual([
      [2, 'invalid_json', undefined],
      [4, 'invalid_field', 'event'],
    ]);
    const stored = await env.DB.prepare("SELECT message_id FROM events WHERE message_id LIKE 'nd-%' ORDER BY message_id").all();
    expect(stored.results.map((r) => r.message_id)).toEqual(['nd-1', 'nd-2']);
  });

  it('streams an import larger than one ingest chunk', async () => {
    const n = 1200;
    const lines = Array.from({ length: n }, (_, i) =>
      JSON.stringify({ type: 'track', event: 'Bulk', userId: `bulk-${i % 50}`, messageId: `bulk-${i}` }),
    ).join('\n');
    const res = await importBody(lines, 'application/x-ndjson', '?format=ndjson');
    expect(await res.json()).toMatchObject({ rows: n, accepted: n, rejectedCount: 0 });
    expect(await env.DB.prepare("SELECT count(*) AS n FROM events WHERE event = 'Bulk'").first('n')).toBe(n);
  });

  it('rejects a line too long to be a message and goes on with the next ones', async () => {
    const lines = [
      JSON.stringify({ type: 'track', event: 'Before', userId: 'long-1', messageId: 'long-1' }),
      JSON.stringify({ type: 'track', event: 'Huge', userId: 'long-2', messageId: 'long-2', properties: { pad: 'p'.repeat(200_000) } }),
      JSON.stringify({ type: 'track', event: 'After', userId: 'long-3', messageId: 'long-3' }),
    ].join('\n');
    const res = await importBody(lines, 'application/x-ndjson');
    const summary = await res.json<Summary>();
    expect(summary).toMatchObject({ rows: 3, accepted: 2, rejectedCount: 1 });
    expect(summary.rejected).toEqual([expect.objectContaining({ index: 2, code: 'message_too_large' })]);
  });

  it('needs the write key', async () => {
    const res = await call('/v1/import', { method: 'POST', body: '{}' });
    expect(res.status).toBe(401);
  });

  it('refuses an unknown format', async () => {
    const res = await importBody('x', 'text/plain', '?format=xml');
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { field: 'format' } });
  });
});

import { createExecutionContext, createScheduledController, waitOnExecutionContext } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { beforeAll, expect, it } from 'vitest';
import worker from '../src/index';
import { createWorkspace, sendBatch, type TestWorkspace } from './helpers';
import { api, membersOf } from './segment-fixtures';

// A real-time update that fails must not fail the ingest (the events are stored; a 5xx would
// only make the sender retry a batch that dedupes to nothing); the hourly sweep repairs it.
// This file's database is its own, so breaking a table here touches no other test.
let ws: TestWorkspace;

beforeAll(async () => {
  ws = await createWorkspace('Repair');
  const res = await api(ws.secretKey, '/v1/segments', { method: 'POST', json: { key: 'pro', name: 'Pro', condition: { trait: 'plan', op: 'eq', value: 'pro' } } });
  expect(res.status).toBe(201);
});

it('stores the batch when the segment update fails, and the sweep repairs membership', async () => {
  await env.DB.prepare('ALTER TABLE segment_eval_scratch RENAME TO segment_eval_scratch_away').run();
  const res = await sendBatch(ws.writeKey, [{ type: 'identify', userId: 'u-1', traits: { plan: 'pro' }, messageId: 'repair-1' }]);
  expect(res.status).toBe(200);
  expect(await res.json()).toMatchObject({ accepted: 1 });
  expect(await membersOf(ws.id, 'pro')).toEqual([]);

  await env.DB.prepare('ALTER TABLE segment_eval_scratch_away RENAME TO segment_eval_scratch').run();
  const now = Date.now();
  const ctx = createExecutionContext();
  const firstRunOfHour = now - new Date(now).getUTCMinutes() * 60_000 + 60 * 60_000;
  await worker.scheduled(createScheduledController({ scheduledTime: firstRunOfHour, cron: '*/5 * * * *' }), env, ctx);
  await waitOnExecutionContext(ctx);
  expect(await membersOf(ws.id, 'pro')).toHaveLength(1);
});

// Insert-only reference worker for the benchmarks: the least work that stores a batch in the
// same events table (no auth, no validation, no enrichment, no identity). The collector's
// figures are printed as ratios against this, measured in the same run on the same machine.
import { DurableObject } from 'cloudflare:workers';
import { Hono } from 'hono';

type Env = { DB: D1Database; PING: DurableObjectNamespace<PingObject> };
const app = new Hono<{ Bindings: Env }>();

const SQL = `INSERT OR IGNORE INTO events (workspace_id, message_id, type, event, anonymous_id, user_id, timestamp,
  received_at, properties, context)
SELECT 'baseline', v->>'$.messageId', v->>'$.type', v->>'$.event', v->>'$.anonymousId', v->>'$.userId',
  ?2, ?2, v->>'$.properties', v->>'$.context'
FROM (SELECT value AS v FROM json_each(?1))`;

app.get('/health', (c) => c.json({ ok: true }));
app.post('/v1/batch', async (c) => {
  const body = await c.req.json<{ batch: unknown[] }>();
  await c.env.DB.prepare(SQL).bind(JSON.stringify(body.batch), Date.now()).run();
  return c.json({ ok: true, accepted: body.batch.length, rejected: [] });
});

// The floor of a read under wrangler dev (bench/profiles): one D1 round trip that does no work, and
// one call to a Durable Object of this worker that reads its own SQLite storage.
app.get('/ping-d1', async (c) => c.json(await c.env.DB.prepare('SELECT 1 AS one').first()));
app.get('/ping-do', async (c) => c.json(await c.env.PING.get(c.env.PING.idFromName('ping')).ping()));

export class PingObject extends DurableObject<Env> {
  ping(): Record<string, SqlStorageValue> {
    return this.ctx.storage.sql.exec('SELECT 1 AS one').one();
  }
}

export default app;

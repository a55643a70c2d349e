// Insert-only reference worker for the benchmarks: the least work that stores a batch in the
// same events table (no auth, no validation, no enrichment, no identity). The collector's
// figures are printed as ratios against this, measured in the same run on the same machine.
//
// `POST /durable/v1/batch` is the floor of issue 16's contract (acknowledge once durable, store
// behind the answer) on the same runtime: the request's body goes into a Durable Object's own
// SQLite as one row and is answered; the object's alarm then inserts the waiting bodies into D1
// with the same statement as `/v1/batch` and deletes them. No validation, no identity: whatever
// the collector does beyond this is its own work, not the cost of the asynchronous design.
import { DurableObject } from 'cloudflare:workers';
import { Hono, type Context } from 'hono';

type Env = { DB: D1Database; PING: DurableObjectNamespace<PingObject>; INBOX: DurableObjectNamespace<InboxFloor> };
const app = new Hono<{ Bindings: Env }>();

const SQL = `INSERT OR IGNORE INTO events (workspace_id, message_id, type, event, anonymous_id, user_id, timestamp,
  received_at, properties, context)
SELECT 'baseline', v->>'$.messageId', v->>'$.type', v->>'$.event', v->>'$.anonymousId', v->>'$.userId',
  ?2, ?2, v->>'$.properties', v->>'$.context'
FROM (SELECT value AS v FROM json_each(?1))`;

app.get('/health', (c) => c.json({ ok: true }));
const inbox = (env: Env) => env.INBOX.get(env.INBOX.idFromName('baseline'));
app.post('/durable/v1/batch', async (c) => {
  const text = await c.req.text();
  // Parsed here as the plain route does (and to count the events); stored as the text it came as.
  const events = (JSON.parse(text) as { batch: unknown[] }).batch.length;
  await inbox(c.env).append(text, events);
  return c.json({ ok: true, accepted: events, rejected: [] });
});
// The same answer shape as the collector's, so scripts/lib/resolved.mjs waits for both alike.
app.get('/durable/v1/ingest/status', async (c) => c.json({ pending: await inbox(c.env).pending() }));
app.post('/v1/batch', async (c) => {
  const body = await c.req.json<{ batch: unknown[] }>();
  await c.env.DB.prepare(SQL).bind(JSON.stringify(body.batch), Date.now()).run();
  return c.json({ ok: true, accepted: body.batch.length, rejected: [] });
});

// The floor of a read under wrangler dev (bench/profiles): one D1 round trip that does no work, and
// one call to a Durable Object of this worker that reads its own SQLite storage. Each says its
// Server-Timing `total` the way the collector's reads do (ms of waiting: the clock moves only on
// I/O), so the tail a bare call gets on the machine of the run stands beside theirs.
const timed = async <T>(c: Context, fn: () => Promise<T>) => {
  const started = Date.now();
  const body = await fn();
  c.header('Server-Timing', `total;dur=${Date.now() - started}`);
  return c.json(body as object);
};
app.get('/ping-d1', (c) => timed(c, () => c.env.DB.prepare('SELECT 1 AS one').first()));
app.get('/ping-do', (c) => timed(c, () => c.env.PING.get(c.env.PING.idFromName('ping')).ping()));

export class PingObject extends DurableObject<Env> {
  ping(): Record<string, SqlStorageValue> {
    return this.ctx.storage.sql.exec('SELECT 1 AS one').one();
  }
}

/** The durable floor's inbox: one row per request, drained into D1 by the alarm. */
export class InboxFloor extends DurableObject<Env> {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    ctx.storage.sql.exec('CREATE TABLE IF NOT EXISTS inbox (seq INTEGER PRIMARY KEY, events INTEGER NOT NULL, body TEXT NOT NULL)');
  }

  async append(body: string, events: number): Promise<void> {
    this.ctx.storage.sql.exec('INSERT INTO inbox (events, body) VALUES (?, ?)', events, body);
    if ((await this.ctx.storage.getAlarm()) === null) await this.ctx.storage.setAlarm(Date.now());
  }

  pending(): number {
    return this.ctx.storage.sql.exec<{ n: number }>('SELECT coalesce(sum(events), 0) AS n FROM inbox').one().n;
  }

  override async alarm(): Promise<void> {
    for (;;) {
      // Up to 1,000 events per D1 write, as the collector's resolver batches them.
      const rows: { seq: number; body: string }[] = [];
      let events = 0;
      for (const row of this.ctx.storage.sql.exec<{ seq: number; events: number; body: string }>('SELECT seq, events, body FROM inbox ORDER BY seq LIMIT 1000')) {
        if (rows.length > 0 && events + row.events > 1000) break;
        rows.push(row);
        events += row.events;
      }
      if (rows.length === 0) return;
      const batch = rows.flatMap((r) => (JSON.parse(r.body) as { batch: unknown[] }).batch);
      await this.env.DB.prepare(SQL).bind(JSON.stringify(batch), Date.now()).run();
      this.ctx.storage.sql.exec('DELETE FROM inbox WHERE seq <= ?', rows[rows.length - 1].seq);
    }
  }
}

export default app;

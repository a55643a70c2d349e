import { Hono } from 'hono';
import { requireSecretKey } from '../auth/middleware';
import type { AppEnv } from '../env';
import { inboxOf } from '../resolver/inbox-client';
import { storageCall } from '../store/storage-call';

/**
 * The state of ingest behind the acknowledgement: how much accepted data the resolver has still to
 * apply (`pending`, `lagMs`), and the messages it could not apply (dead letters) with a replay.
 */
export const ingestStatusRoutes = new Hono<AppEnv>();

ingestStatusRoutes.get('/status', requireSecretKey('read'), async (c) => {
  return c.json(await storageCall(() => inboxOf(c.env, c.var.workspaceId).status()));
});

ingestStatusRoutes.get('/dead-letters', requireSecretKey('read'), async (c) => {
  const data = await storageCall(() => inboxOf(c.env, c.var.workspaceId).deadLetters());
  return c.json({ data });
});

ingestStatusRoutes.post('/dead-letters/replay', requireSecretKey('admin'), async (c) => {
  return c.json(await storageCall(() => inboxOf(c.env, c.var.workspaceId).replayDeadLetters()));
});

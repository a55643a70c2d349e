import { createApp } from './app';
import type { Env } from './env';
import { databaseNames, databaseOf } from './directory/databases';
import { runScheduled } from './scheduled';
import { recordSegmentSizes } from './store/segment-history';

export { IngestInbox } from './resolver/inbox';
export { ProfileReads } from './profile-reads/profile-reads';

const app = createApp();

export default {
  fetch: app.fetch,
  // The cron trigger (wrangler.toml). Awaited, not waitUntil: the run is the whole invocation.
  async scheduled(controller, env, _ctx) {
    try {
      await runScheduled(env, controller.scheduledTime);
    } finally {
      // After re-evaluation, so the day's size reflects expired windows; even when it failed,
      // so the trend keeps a point for the day.
      await Promise.all(databaseNames(env).map((name) => recordSegmentSizes(databaseOf(env, name), controller.scheduledTime)));
    }
  },
} satisfies ExportedHandler<Env>;

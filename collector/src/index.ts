import { createApp } from './app';
import type { Env } from './env';
import { runScheduled } from './scheduled';

const app = createApp();

export default {
  fetch: app.fetch,
  // The cron trigger (wrangler.toml). Awaited, not waitUntil: the run is the whole invocation.
  async scheduled(controller, env, _ctx) {
    await runScheduled(env, controller.scheduledTime);
  },
} satisfies ExportedHandler<Env>;

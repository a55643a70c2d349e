import path from 'node:path';
import { cloudflareTest, readD1Migrations } from '@cloudflare/vitest-pool-workers';
import { defineConfig } from 'vitest/config';

const migrations = await readD1Migrations(path.join(import.meta.dirname, 'collector/migrations'));

export default defineConfig({
  test: {
    projects: [
      {
        // The collector runs inside workerd against a real (local) D1; each test file gets an empty database.
        plugins: [
          cloudflareTest({
            main: './collector/src/index.ts',
            wrangler: { configPath: './wrangler.toml' },
            miniflare: {
              // MOVE_GRACE_MS: one isolate here, whose caches a move clears itself, so moves need not wait out other isolates' caches.
              // PROFILE_READS_QUIET_MS: the read store catches up only when a test runs its alarm (test/profile-reads.test.ts).
              bindings: { TEST_MIGRATIONS: migrations, ADMIN_TOKEN: 'test-admin-token', SATU_ENV: 'test', MOVE_GRACE_MS: '0', PROFILE_READS_QUIET_MS: '3600000' },
              // Outbound fetches (webhook deliveries) go to a receiver Worker, never to the network.
              outboundService: 'webhook-receiver',
              workers: [
                { name: 'webhook-receiver', modules: true, scriptPath: './collector/test/webhook-receiver.mjs', compatibilityDate: '2026-04-20' },
              ],
            },
          }),
        ],
        test: {
          name: 'collector',
          include: ['collector/**/*.test.ts'],
          setupFiles: ['./collector/test/apply-migrations.ts'],
        },
      },
      {
        test: {
          name: 'sdk',
          include: ['sdk/**/*.test.ts'],
          environment: 'node',
        },
      },
      {
        // Real headless Chromium against a real collector on loopback.
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          environment: 'node',
          testTimeout: 60_000,
          hookTimeout: 120_000,
          fileParallelism: false,
        },
      },
    ],
  },
});

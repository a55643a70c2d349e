import type { D1Migration } from '@cloudflare/vitest-pool-workers';

/** Bindings and variables of the collector Worker (see wrangler.toml). */
export interface Env {
  /** The directory (workspaces, api_keys) and the first database of workspace data (directory/databases.ts). */
  DB: D1Database;
  /** More databases of workspace data: every D1 binding named DB_<NAME> (wrangler.toml). */
  [database: `DB_${string}`]: D1Database | undefined;
  /** One durable inbox + resolver per workspace (resolver/inbox.ts). */
  INBOX: DurableObjectNamespace<import('./resolver/inbox').IngestInbox>;
  /** One profile read store per workspace (profile-reads/profile-reads.ts). */
  PROFILE_READS: DurableObjectNamespace<import('./profile-reads/profile-reads').ProfileReads>;
  /** The full event history as gzip NDJSON (archive/*): written by the inbox, read by export and rebuild. */
  ARCHIVE: R2Bucket;
  ASSETS?: Fetcher;
  /** Bearer token of the operator API (`/v1/admin/*`); a secret in production, `.dev.vars` locally. */
  ADMIN_TOKEN?: string;
  SATU_ENV?: string;
  /** Milliseconds a workspace move refuses writes before copying, and keeps the old copy after (directory/move.ts). */
  MOVE_GRACE_MS?: string;
  /** Milliseconds writes must be quiet before the profile read store catches up (profile-reads/profile-reads.ts QUIET_MS). */
  PROFILE_READS_QUIET_MS?: string;
  /** Cloudflare rate limiting bindings (wrangler.toml `[[ratelimits]]`): per key, ingest and read. */
  INGEST_LIMITER?: RateLimit | import('./limits/rate-limit').Limiter;
  READ_LIMITER?: RateLimit | import('./limits/rate-limit').Limiter;
  /** Only in tests: the migrations the test setup applies. */
  TEST_MIGRATIONS?: D1Migration[];
}

/** What handlers find in `c.var`. */
export interface Vars {
  requestId: string;
  workspaceId: string;
  /** The D1 database that holds this workspace's data (the directory maps it, see directory/databases.ts). */
  db: D1Database;
  /** Its binding name, e.g. `DB` or `DB_2`. */
  database: string;
  /** Scopes of the secret key that authenticated the request. */
  scopes: ReadonlySet<string>;
  keyId: string;
  /** Phase timings of a timed route (http/server-timing.ts `timedRequest`), sent as Server-Timing. */
  timing?: import('./http/server-timing').ServerTiming;
}

export type AppEnv = { Bindings: Env; Variables: Vars };

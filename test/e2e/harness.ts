// Shared set-up of the SDK end-to-end tests: the real collector (wrangler dev on local D1) with its
// own temp state dir and free port, the example site, headless Chromium, and D1 queries.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Miniflare } from 'miniflare';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, vi } from 'vitest';
// @ts-expect-error plain .mjs helpers without types
import { applyMigrations, createWorkspace, freePort, projectRoot, randomToken, startCollector } from '../../scripts/lib/local-collector.mjs';
// @ts-expect-error plain .mjs helpers without types
import { startExampleServer } from '../../scripts/lib/example-server.mjs';

/**
 * A reader of the collector's local D1: a second workerd on the same SQLite file (what
 * `wrangler d1 execute --local` does, without paying its ~5 s start per query).
 */
export async function d1Reader(stateDir: string) {
  const mf = new Miniflare({
    modules: true,
    script: 'export default { fetch() { return new Response(null) } }',
    d1Databases: { DB: '00000000-0000-0000-0000-000000000000' }, // database_id in wrangler.toml
    d1Persist: path.join(stateDir, 'v3', 'd1'),
  });
  return { db: await mf.getD1Database('DB'), dispose: () => mf.dispose() };
}

/** Args from TOOLCHAIN.md. No fallback: without Chromium these tests must fail, not skip. */
export const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

export interface Collector {
  url: string;
  port: number;
  stop(): Promise<void>;
}

export interface Harness {
  stateDir: string;
  adminToken: string;
  collector: Collector;
  workspace: { id: string; writeKey: string; secretKey: string };
  site: { url: string; close(): Promise<void> };
  browser: Browser;
  /** Stops the collector (outage). */
  stopCollector(): Promise<void>;
  /** Starts it again on the same port and database. */
  startCollector(): Promise<void>;
  /** Runs SQL against the local D1 (read-only use). */
  query<T = Record<string, unknown>>(sql: string): Promise<T[]>;
  close(): Promise<void>;
}

export async function startHarness(): Promise<Harness> {
  const stateDir = mkdtempSync(path.join(tmpdir(), 'satu-e2e-'));
  const adminToken = randomToken();
  await applyMigrations(stateDir);
  const port = await freePort();
  let collector: Collector = await startCollector({ port, stateDir, adminToken });
  const workspace = await createWorkspace(collector.url, adminToken, 'E2E shop');
  // The site is on localhost and the collector on 127.0.0.1: different origins, as in production.
  const site = await startExampleServer({
    root: path.join(projectRoot, 'examples'),
    port: 0,
    values: { SATU_HOST: collector.url, SATU_WRITE_KEY: workspace.writeKey },
  });
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
  const reader = await d1Reader(stateDir);
  const harness: Harness = {
    stateDir,
    adminToken,
    get collector() {
      return collector;
    },
    workspace,
    site,
    browser,
    stopCollector: () => collector.stop(),
    async startCollector() {
      collector = await startCollector({ port, stateDir, adminToken });
    },
    async query<T>(sql: string) {
      // Two workerd processes share the SQLite file; a read can meet the writer's lock
      // ("internal error"): retry it a few times rather than fail the test on it.
      for (let attempt = 1; ; attempt++) {
        try {
          return (await reader.db.prepare(sql).all<T>()).results;
        } catch (err) {
          if (attempt >= 5) throw err;
          await new Promise((r) => setTimeout(r, 200 * attempt));
        }
      }
    },
    async close() {
      await Promise.allSettled([browser.close(), site.close(), collector.stop(), reader.dispose()]);
      rmSync(stateDir, { recursive: true, force: true });
    },
  };
  return harness;
}

/**
 * Gives the calling test file one harness, started before its tests and closed after them. The object
 * is filled in by `beforeAll`; its getters (the collector, restarted on outages) keep working.
 */
export function useHarness(): Harness {
  // Generous: the machine running CI may be busy, and polling D1 shares its SQLite file with the collector.
  vi.setConfig({ testTimeout: 120_000 });
  const h = {} as Harness;
  beforeAll(async () => {
    Object.defineProperties(h, Object.getOwnPropertyDescriptors(await startHarness()));
  });
  afterAll(async () => {
    await h.close?.();
  });
  return h;
}

/** Waits until `check` returns a truthy value (polling), or fails with the last value seen. */
export async function eventually<T>(check: () => Promise<T>, { timeoutMs = 45_000, everyMs = 1000 } = {}): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  while (Date.now() < deadline) {
    last = await check();
    if (last) return last;
    await new Promise((r) => setTimeout(r, everyMs));
  }
  throw new Error(`condition not met within ${timeoutMs} ms; last value: ${JSON.stringify(last)}`);
}

/** Waits until the SDK has replaced the inline snippet's stub on `page`. */
export const sdkReady = (page: Page) => page.waitForFunction(() => typeof (window as any).satu?.anonymousId === 'function');

/** A new tab of `context` on the example shop page, once its SDK has loaded. */
export async function openShop(h: Pick<Harness, 'site'>, context: BrowserContext): Promise<Page> {
  const page = await context.newPage();
  await page.goto(`${h.site.url}/shop/`);
  await sdkReady(page);
  return page;
}

/** SQL string literal (test-controlled values only). */
export const sql = (value: string) => `'${value.replace(/'/g, "''")}'`;

// Segment's and RudderStack's browser libraries, unmodified (bundled from npm with esbuild, no CDN),
// on a page of their own origin, with only their hosts pointed at the collector. A proxy in front of
// the collector answers the first request of a chosen kind with a 503, to watch each library retry.
import type { Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { eventually, useHarness } from './harness';
import { startFailingProxy, type FailingProxy } from './compat/failing-proxy';
import { expectEachStoredOnce, expectRetried, failFirst } from './compat/expectations';
import { compatReads, posts } from './compat/reads';
import { startLibrarySite, type LibrarySite } from './compat/site';

const h = useHarness();
const reads = compatReads(h);
let site: LibrarySite;
beforeAll(async () => {
  site = await startLibrarySite();
});
afterAll(async () => {
  await site?.close();
});

let proxy: FailingProxy | undefined;
async function open(file: string, fail: (req: { method: string; path: string }) => boolean): Promise<{ page: Page; proxy: FailingProxy; close(): Promise<void> }> {
  proxy = await startFailingProxy(h.collector.url, fail);
  const context = await h.browser.newContext();
  const page = await context.newPage();
  await page.goto(`${site.url}/${file}`);
  const p = proxy;
  return { page, proxy: p, close: async () => (await context.close(), await p.close()) };
}
// On a failure, what the library sent and what it was answered tells more than the assertion.
afterEach((ctx) => {
  if (ctx.task.result?.state === 'fail' && proxy) console.log(proxy.seen.map((q) => `${q.method} ${q.path} ${q.status} ${q.method === 'OPTIONS' ? q.headers['access-control-request-headers'] : q.body.slice(0, 100)}`).join('\n'));
});

const run = () => Math.random().toString(36).slice(2, 8);

describe('Segment analytics-next in the browser', () => {
  it('page, track, alias, identify and group land once in one profile and its account; a 503 is retried', async () => {
    const t = await open('segment.html', failFirst(/^\/v1\/t$/));
    const r = run();
    const anon = await t.page.evaluate(
      async ({ writeKey, cdnURL, r }) => {
        // The one change: cdnURL. The settings served there point apiHost at the collector too.
        const analytics = (window as any).AnalyticsBrowser.load({ writeKey, cdnURL });
        (window as any).analytics = analytics;
        await analytics.page('Home');
        await analytics.track('Order Completed', { total: 42 });
        // Segment's documented sign-up flow: alias while anonymous (previousId = the anonymous id).
        // (analytics-next 1.84 sends an identified user's alias with userId = previousId = the current id.)
        await analytics.alias(`seg-user-${r}`);
        return (await analytics.user()).anonymousId() as string;
      },
      { writeKey: h.workspace.writeKey, cdnURL: t.proxy.url, r },
    );
    // The alias alone links the visitor's anonymous history to the user.
    await reads.profileWhen(`user_id:seg-user-${r}`, (p) => p.identities.some((i) => i.value === anon));
    await t.page.evaluate(async (r) => {
      const analytics = (window as any).analytics;
      await analytics.identify(`seg-user-${r}`, { email: `seg-${r}@shop.test`, plan: 'pro' });
      await analytics.group(`seg-acct-${r}`, { name: 'Seg Acme' });
    }, r);
    // Loaded its settings from the collector, then sent to the short paths, one message each.
    expect(t.proxy.seen[0]?.path).toBe(`/v1/projects/${h.workspace.writeKey}/settings`);
    const retry = await eventually(async () => posts(t.proxy.seen, /^\/v1\/t$/).length >= 2 && expectRetried(t.proxy, /^\/v1\/t$/));
    expect(retry.headers['content-type']).toMatch(/^text\/plain/);
    expect(posts(t.proxy.seen, /^\/v1\/[pigta]$/).map((q) => q.path).sort()).toEqual(['/v1/a', '/v1/g', '/v1/i', '/v1/p', '/v1/t', '/v1/t']);
    await expectEachStoredOnce(reads, t.proxy, 5);
    expect(await reads.typesOf(anon)).toEqual({ alias: 1, group: 1, identify: 1, page: 1, track: 1 });

    const profile = await reads.profileWhen(`user_id:seg-user-${r}`, (p) => p.accounts.length > 0 && Object.keys(p.traits).length > 0);
    expect(profile.identities).toEqual(expect.arrayContaining([{ type: 'anonymous_id', value: anon }, { type: 'user_id', value: `seg-user-${r}` }]));
    expect(profile.traits).toMatchObject({ email: `seg-${r}@shop.test`, plan: 'pro' });
    const account = await reads.accountWhen(`seg-acct-${r}`);
    expect(account).toMatchObject({ traits: { name: 'Seg Acme' }, members: [profile.id] });
    await t.close();
  });

  /** Loads analytics-next with batching (`/v1/b`) and tracks `events`; returns the anonymous id. */
  const trackBatched = (page: Page, cdnURL: string, config: { size: number; timeout: number }, events: string[]) =>
    page.evaluate(
      async ({ writeKey, cdnURL, config, events }) => {
        const integrations = { 'Segment.io': { deliveryStrategy: { strategy: 'batching', config } } };
        const analytics = (window as any).AnalyticsBrowser.load({ writeKey, cdnURL }, { integrations });
        for (const event of events) await analytics.track(event);
        return (await analytics.user()).anonymousId() as string;
      },
      { writeKey: h.workspace.writeKey, cdnURL, config, events },
    );

  it('batches to /v1/b and retries a 503', async () => {
    const t = await open('segment.html', failFirst(/^\/v1\/b$/));
    // The third event fills the batch; the retry waits for the flush timer the first event set (5 s).
    const anon = await trackBatched(t.page, t.proxy.url, { size: 3, timeout: 5000 }, ['Batched 1', 'Batched 2', 'Batched 3']);
    const retry = await eventually(async () => posts(t.proxy.seen, /^\/v1\/b$/).length >= 2 && expectRetried(t.proxy, /^\/v1\/b$/));
    expect(JSON.parse(retry.body)).toMatchObject({ writeKey: h.workspace.writeKey });
    await expectEachStoredOnce(reads, t.proxy, 3);
    expect(await reads.typesOf(anon)).toEqual({ track: 3 });
    await t.close();
  });

  it('delivers its batch buffer when the page is hidden', async () => {
    const t = await open('segment.html', () => false);
    // Nothing would leave for a minute (or 100 events): only the page-hide flush (fetch keepalive) can send these.
    const anon = await trackBatched(t.page, t.proxy.url, { size: 100, timeout: 60_000 }, ['Hidden 1', 'Hidden 2']);
    expect(posts(t.proxy.seen, /^\/v1\/b$/)).toEqual([]);
    await t.page.goto(`${site.url}/next.html`);
    const [sent] = await eventually(async () => {
      const list = posts(t.proxy.seen, /^\/v1\/b$/);
      return list.length > 0 && list;
    });
    expect(sent!.status).toBe(200);
    expect(JSON.parse(sent!.body).batch.map((m: { event: string }) => m.event)).toEqual(['Hidden 1', 'Hidden 2']);
    await expectEachStoredOnce(reads, t.proxy, 2);
    expect(await reads.typesOf(anon)).toEqual({ track: 2 });
    await t.close();
  });
});

describe('RudderStack analytics-js in the browser', () => {
  /** load() with the data plane and config URLs on the collector; resolves once the SDK is ready. */
  const load = (page: Page, url: string, options: Record<string, unknown> = {}) =>
    page.evaluate(
      ({ writeKey, url, options }) =>
        new Promise<void>((resolve) => {
          const ra = new (window as any).RudderAnalytics();
          (window as any).rudderanalytics = ra;
          ra.load(writeKey, url, { configUrl: url, logLevel: 'ERROR', ...options, onLoaded: () => resolve() });
        }),
      { writeKey: h.workspace.writeKey, url, options },
    );

  it('page, identify, group, track and alias land once in one profile and its account; a 503 is retried', async () => {
    const t = await open('rudder.html', failFirst(/^\/v1\/track$/));
    const r = run();
    await load(t.page, t.proxy.url);
    const anon = await t.page.evaluate((r) => {
      const ra = (window as any).rudderanalytics;
      ra.page('Shop', 'Home');
      ra.identify(`rs-user-${r}`, { email: `rs-${r}@shop.test`, plan: 'pro' });
      ra.group(`rs-acct-${r}`, { name: 'RS Acme' });
      ra.track('Order Completed', { total: 42 });
      ra.alias(`rs-user2-${r}`);
      return ra.getAnonymousId() as string;
    }, r);
    expect(t.proxy.seen.some((q) => q.method === 'GET' && q.path.startsWith('/sourceConfig/?') && q.status === 200)).toBe(true);
    // Its custom headers passed the CORS preflight.
    const preflight = () => t.proxy.seen.find((q) => q.method === 'OPTIONS' && q.path.startsWith('/v1/'));
    expect(preflight()?.headers['access-control-request-headers']).toMatch(/anonymousid/);
    // The proxy records a request when it arrives and its status when the collector answers.
    await expect.poll(() => preflight()?.status).toBe(204);
    const retry = await eventually(async () => posts(t.proxy.seen, /^\/v1\/track$/).length >= 2 && expectRetried(t.proxy, /^\/v1\/track$/));
    expect(retry.headers['rsa-retry-attempt']).toBe('1');
    await expectEachStoredOnce(reads, t.proxy, 5);
    expect(await reads.typesOf(anon)).toEqual({ alias: 1, group: 1, identify: 1, page: 1, track: 1 });

    const profile = await reads.profileWhen(`user_id:rs-user2-${r}`, (p) => p.accounts.length > 0 && p.identities.some((i) => i.value === `rs-user-${r}`));
    expect(profile.identities).toEqual(expect.arrayContaining([{ type: 'anonymous_id', value: anon }, { type: 'user_id', value: `rs-user-${r}` }]));
    // RudderStack sends identify traits in context.traits.
    expect(profile.traits).toMatchObject({ email: `rs-${r}@shop.test`, plan: 'pro' });
    const account = await reads.accountWhen(`rs-acct-${r}`);
    expect(account).toMatchObject({ traits: { name: 'RS Acme' }, members: [profile.id] });
    await t.close();
  });

  it('batches to /v1/batch and retries a 503', async () => {
    const t = await open('rudder.html', failFirst(/^\/v1\/batch$/));
    await load(t.page, t.proxy.url, { queueOptions: { batch: { enabled: true, maxItems: 3, flushInterval: 60_000 } } });
    const anon = await t.page.evaluate(() => {
      const ra = (window as any).rudderanalytics;
      for (const n of [1, 2, 3]) ra.track(`RS Batched ${n}`);
      return ra.getAnonymousId() as string;
    });
    await eventually(async () => posts(t.proxy.seen, /^\/v1\/batch$/).length >= 2 && expectRetried(t.proxy, /^\/v1\/batch$/));
    await expectEachStoredOnce(reads, t.proxy, 3);
    expect(await reads.typesOf(anon)).toEqual({ track: 3 });
    await t.close();
  });

  it('sends its beacon queue when the page is hidden', async () => {
    const t = await open('rudder.html', () => false);
    await load(t.page, t.proxy.url, { useBeacon: true, beaconQueueOptions: { maxItems: 100, flushQueueInterval: 600_000 } });
    const anon = await t.page.evaluate(() => {
      const ra = (window as any).rudderanalytics;
      ra.page('Shop', 'Home');
      ra.track('Beaconed 1');
      ra.track('Beaconed 2');
      return ra.getAnonymousId() as string;
    });
    // Nothing leaves before the page is hidden: 100 items or 10 minutes would be needed.
    expect(posts(t.proxy.seen, /beacon/)).toEqual([]);
    await t.page.goto(`${site.url}/next.html`);
    const [beacon] = await eventually(async () => {
      const list = posts(t.proxy.seen, /^\/beacon\/v1\/batch\?writeKey=/);
      return list.length > 0 && list;
    });
    expect(beacon!.status).toBe(200);
    expect(beacon!.headers['content-type']).toMatch(/^text\/plain/);
    await expectEachStoredOnce(reads, t.proxy, 3);
    expect(await reads.typesOf(anon)).toEqual({ page: 1, track: 2 });
    await t.close();
  });
});

// The script tag on the example shop page, in real headless Chromium, against the real collector.
import type { BrowserContext, Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { eventually, openShop, sdkReady, sql, useHarness } from './harness';

const h = useHarness();

interface Row {
  type: string;
  event: string | null;
  message_id: string;
  anonymous_id: string | null;
  user_id: string | null;
  context: string;
  properties: string | null;
  traits: string | null;
  timestamp: string;
}

const rows = (where: string) =>
  h.query<Row>(`SELECT * FROM events WHERE workspace_id = ${sql(h.workspace.id)} AND (${where}) ORDER BY timestamp, message_id`);

/** The script tag as a site pastes it, sending to the test collector. */
const TAG = () => `<script src="${h.collector.url}/satu.min.js" data-write-key="${h.workspace.writeKey}" data-host="${h.collector.url}"></script>`;

/**
 * Opens a page with `head` on the collector's origin (Chromium lets a page served by the test reach
 * loopback only from there).
 */
async function openTestPage(context: BrowserContext, path: string, head: string): Promise<Page> {
  const page = await context.newPage();
  await page.route(`**${path}`, (route) =>
    route.fulfill({ contentType: 'text/html', body: `<!doctype html><html><head>${head}</head><body></body></html>` }),
  );
  await page.goto(`${h.collector.url}${path}`);
  return page;
}

describe('script tag on the shop page', () => {
  it('sends page views and events with full context that reach D1', async () => {
    const context = await h.browser.newContext();
    const page = await context.newPage();
    await page.goto(`${h.site.url}/shop/?utm_source=newsletter&utm_campaign=spring`);
    await sdkReady(page);
    await page.click('button[data-sku="grinder"]');
    const anonymousId = await page.evaluate(() => (window as any).satu.anonymousId());

    const [view, added] = await eventually(async () => {
      const found = await rows(`anonymous_id = ${sql(anonymousId)}`);
      return found.length >= 2 ? found : undefined;
    });
    expect(view).toMatchObject({ type: 'page', user_id: null });
    expect(JSON.parse(view!.properties!)).toMatchObject({ path: '/shop/', title: 'Satu demo shop', search: '?utm_source=newsletter&utm_campaign=spring' });
    expect(added).toMatchObject({ type: 'track', event: 'Product Added' });
    expect(JSON.parse(added!.properties!)).toEqual({ sku: 'grinder', price: 89, currency: 'EUR' });
    const ctx = JSON.parse(added!.context);
    expect(ctx).toMatchObject({
      page: { path: '/shop/', url: `${h.site.url}/shop/?utm_source=newsletter&utm_campaign=spring`, title: 'Satu demo shop' },
      campaign: { source: 'newsletter', name: 'spring' },
      library: { name: 'satu' },
      locale: expect.any(String),
      timezone: expect.any(String),
      screen: { width: expect.any(Number), height: expect.any(Number) },
    });
    expect(ctx.userAgent).toContain('Chrome');
    // The anonymous id lives in a first-party cookie (and localStorage).
    const cookies = await context.cookies(h.site.url);
    expect(cookies.find((c) => c.name === 'satu_aid')?.value).toBe(anonymousId);
    await context.close();
  });

  it('replays calls buffered by the inline snippet in order, before the automatic page view', async () => {
    const context = await h.browser.newContext();
    const page = await context.newPage();
    // Hold the bundle back so that the page's calls hit the snippet's stub.
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    await page.route('**/satu.min.js', async (route) => {
      await held;
      await route.continue();
    });
    await page.goto(`${h.site.url}/shop/`, { waitUntil: 'domcontentloaded' }); // 'load' waits for the held bundle
    await page.evaluate(() => {
      const satu = (window as any).satu;
      satu.track('Buffered One');
      satu.identify('buffered-user', { plan: 'pro' });
      satu.track('Buffered Two');
    });
    expect(await page.evaluate(() => Array.isArray((window as any).satu))).toBe(true);
    release();
    await sdkReady(page);
    const anonymousId = await page.evaluate(() => (window as any).satu.anonymousId());
    const found = await eventually(async () => {
      const list = await rows(`anonymous_id = ${sql(anonymousId)}`);
      return list.length >= 4 ? list : undefined;
    });
    expect(found.map((r) => [r.type, r.event, r.user_id])).toEqual([
      ['track', 'Buffered One', null],
      ['identify', null, 'buffered-user'],
      ['track', 'Buffered Two', 'buffered-user'],
      ['page', null, 'buffered-user'],
    ]);
    await context.close();
  });

  it('starts after the script has run; a call before that starts it at once; a second copy keeps the first', async () => {
    const context = await h.browser.newContext();
    // The tag twice in a row (before the first copy started), then a script that uses window.satu
    // while the page is still being parsed.
    const page = await openTestPage(
      context,
      '/start-test.html',
      `<title>Start test</title>${TAG()}${TAG()}<script>` +
        'window.standIn = window.satu;' +
        "window.early = { first: window.satu.anonymousId(), started: window.satu !== window.standIn, call: window.satu.track('Early Call', { n: 1 }) };" +
        '</script>',
    );
    const seen = await page.evaluate(async () => {
      const w = window as any;
      await w.early.call; // resolves once persisted
      return { first: w.early.first, started: w.early.started, later: w.satu.anonymousId(), viaStandIn: w.standIn.anonymousId(), user: w.standIn.user() };
    });
    // The first use replaced the stand-in with the SDK; a reference kept to it answers the same.
    expect(seen.started).toBe(true);
    expect(seen.later).toBe(seen.first);
    expect(seen.viaStandIn).toBe(seen.first);
    expect(seen.user).toEqual({ anonymousId: seen.first, userId: null, traits: {} });
    const ofPage = `json_extract(context, '$.page.path') = '/start-test.html'`;
    const found = await eventually(async () => {
      const list = await rows(ofPage);
      return list.length >= 2 ? list : undefined;
    });
    await new Promise((r) => setTimeout(r, 1500)); // a second instance would have sent its own page view by now
    const all = await rows(ofPage);
    expect(all.map((r) => [r.type, r.event, r.anonymous_id])).toEqual([
      ['track', 'Early Call', seen.first], // called before the SDK's own page view, which comes a task after it starts
      ['page', null, seen.first],
    ]);
    expect(JSON.parse(found[0]!.context).page).toMatchObject({ title: 'Start test', path: '/start-test.html' });
    await context.close();
  });

  it('a visitor who leaves before the SDK started still sends the page view', async () => {
    const context = await h.browser.newContext();
    // A page that is never idle (its idle callback never comes), so only the visitor leaving starts the SDK.
    const page = await openTestPage(
      context,
      '/leave-test.html',
      `<title>Leave test</title><script>window.requestIdleCallback = function () {};</script>${TAG()}<script>window.standIn = window.satu;</script>`,
    );
    await new Promise((r) => setTimeout(r, 300));
    expect(await page.evaluate(() => (window as any).satu === (window as any).standIn)).toBe(true); // not started
    await page.goto(`${h.collector.url}/health`); // the visitor leaves
    const found = await eventually(async () => {
      const list = await rows(`json_extract(context, '$.page.path') = '/leave-test.html'`);
      return list.length >= 1 ? list : undefined;
    });
    expect(found.map((r) => [r.type, JSON.parse(r.properties!).title])).toEqual([['page', 'Leave test']]);
    await context.close();
  });

  it('identifying as a different user rotates the anonymous id; reset() rotates it too', async () => {
    const context = await h.browser.newContext();
    const page = await openShop(h, context);
    const ids = await page.evaluate(async () => {
      const satu = (window as any).satu;
      const first = satu.anonymousId();
      await satu.identify('ana');
      const asAna = satu.anonymousId();
      await satu.identify('bob');
      const asBob = satu.anonymousId();
      satu.reset();
      return { first, asAna, asBob, afterReset: satu.anonymousId(), user: satu.user() };
    });
    expect(ids.asAna).toBe(ids.first); // an anonymous visitor logging in keeps their history
    expect(ids.asBob).not.toBe(ids.asAna); // a second person on the same device does not
    expect(ids.afterReset).not.toBe(ids.asBob);
    expect(ids.user).toEqual({ anonymousId: ids.afterReset, userId: null, traits: {} });
    // Survives a reload (cookie + localStorage).
    await page.reload();
    await sdkReady(page);
    expect(await page.evaluate(() => (window as any).satu.anonymousId())).toBe(ids.afterReset);
    await context.close();
  });
});

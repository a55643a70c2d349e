// The SPA example (npm module) and consent handling, in real Chromium against the real collector.
import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { eventually, sdkReady, sql, useHarness } from './harness';

const h = useHarness();

const eventsOf = (anonymousId: string) =>
  h.query<{ type: string; event: string | null; properties: string; context: string }>(
    `SELECT type, event, properties, context FROM events WHERE workspace_id = ${sql(h.workspace.id)} AND anonymous_id = ${sql(anonymousId)} ORDER BY timestamp, message_id`,
  );

/** Counts the batch requests a page sends. */
const countBatches = (page: Page) => {
  const counter = { n: 0 };
  page.on('request', (req) => void (req.url().endsWith('/v1/batch') && counter.n++));
  return counter;
};

/** Envelopes in the page's IndexedDB queue. */
const queueSize = (page: Page) =>
  page.evaluate(() => new Promise<number>((resolve, reject) => {
    const open = indexedDB.open('satu');
    open.onerror = () => reject(open.error);
    open.onsuccess = () => {
      const count = open.result.transaction('queue').objectStore('queue').count();
      count.onsuccess = () => resolve(count.result);
    };
  }));

describe('SPA example (npm module)', () => {
  it('tracks page views on pushState and popstate navigations, with the previous URL as referrer', async () => {
    const context = await h.browser.newContext();
    const page = await context.newPage();
    await page.goto(`${h.site.url}/spa/`);
    await sdkReady(page);
    await page.click('a[href="/spa/products"]');
    await page.click('a[href="/spa/products/beans"]');
    await page.waitForSelector('#add');
    await page.goBack(); // popstate
    await page.waitForURL('**/spa/products');
    const anonymousId = await page.evaluate(() => (window as any).satu.anonymousId());
    const list = await eventually(async () => {
      const found = await eventsOf(anonymousId);
      return found.length >= 5 ? found : undefined;
    });
    expect(list.map((e) => [e.type, e.event ?? JSON.parse(e.properties).path])).toEqual([
      ['page', '/spa/'],
      ['page', '/spa/products'],
      ['track', 'Product Viewed'],
      ['page', '/spa/products/beans'],
      ['page', '/spa/products'],
    ]);
    const pages = list.filter((e) => e.type === 'page').map((e) => JSON.parse(e.context).page);
    expect(pages[1]).toMatchObject({ referrer: `${h.site.url}/spa/`, title: 'Products · Satu SPA' });
    expect(pages[3]).toMatchObject({ referrer: `${h.site.url}/spa/products/beans` });
    await context.close();
  });
});

describe('consent (shop page with data-require-consent="analytics")', () => {
  const openShop = async (page: Page) => {
    await page.goto(`${h.site.url}/shop/consent.html`);
    await sdkReady(page);
  };

  it('holds events (across a reload) until consent, then delivers them with the preferences', async () => {
    const context = await h.browser.newContext();
    const page = await context.newPage();
    const batches = countBatches(page);
    await openShop(page);
    await page.evaluate(() => (window as any).satu.track('Before Consent'));
    await page.reload();
    await sdkReady(page);
    await new Promise((r) => setTimeout(r, 1500)); // longer than flushInterval
    expect(batches.n).toBe(0);
    await page.click('#accept');
    const anonymousId = await page.evaluate(() => (window as any).satu.anonymousId());
    const list = await eventually(async () => {
      const found = await eventsOf(anonymousId);
      return found.some((e) => e.event === 'Before Consent') && found.filter((e) => e.type === 'page').length >= 2 ? found : undefined;
    });
    // Polled: on a busy machine Playwright can report the request after D1 already holds its events.
    await expect.poll(() => batches.n, { timeout: 10_000 }).toBeGreaterThan(0);
    // Events tracked after consent carry the preferences.
    await page.evaluate(() => (window as any).satu.track('After Consent'));
    const after = await eventually(async () => (await eventsOf(anonymousId)).find((e) => e.event === 'After Consent'));
    expect(JSON.parse(after.context).consent).toEqual({ categoryPreferences: { analytics: true, advertising: false } });
    expect(list.filter((e) => e.event === 'Before Consent')).toHaveLength(1);
    await context.close();
  });

  it('declining drops what was held and collects nothing more', async () => {
    const context = await h.browser.newContext();
    const page = await context.newPage();
    const batches = countBatches(page);
    await openShop(page);
    await page.click('#buy');
    await page.click('#decline');
    await page.click('#buy');
    await page.reload();
    await sdkReady(page);
    await page.click('#buy');
    await new Promise((r) => setTimeout(r, 1500));
    expect(batches.n).toBe(0);
    expect(await queueSize(page)).toBe(0);
    await context.close();
  });

  it('optOut() drops the queue and stops collection, persisted across reloads; optIn() resumes', async () => {
    const context = await h.browser.newContext();
    const page = await context.newPage();
    const batches = countBatches(page);
    await openShop(page);
    await page.evaluate(async () => {
      const satu = (window as any).satu;
      await satu.track('Queued Then Opted Out');
      await satu.optOut();
      await satu.track('While Opted Out');
    });
    await page.reload();
    await sdkReady(page);
    await page.evaluate(() => (window as any).satu.consent({ analytics: true }));
    await page.evaluate(() => (window as any).satu.track('Still Opted Out'));
    await new Promise((r) => setTimeout(r, 1500));
    expect(batches.n).toBe(0);
    expect(await queueSize(page)).toBe(0);
    await page.evaluate(async () => {
      await (window as any).satu.optIn();
      await (window as any).satu.track('After Opt In');
    });
    const anonymousId = await page.evaluate(() => (window as any).satu.anonymousId());
    await eventually(async () => (await eventsOf(anonymousId)).find((e) => e.event === 'After Opt In'));
    const names = (await eventsOf(anonymousId)).map((e) => e.event).filter(Boolean);
    expect(names).toEqual(['After Opt In']);
    await context.close();
  });
});

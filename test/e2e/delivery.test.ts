// Delivery guarantees of the script tag in real Chromium against the real collector:
// outages across reloads, a page closed right after track(), tabs sharing one queue.
import path from 'node:path';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { eventually, openShop, sdkReady, sql, useHarness } from './harness';

const bundle = path.resolve(import.meta.dirname, '../../sdk/dist/satu.min.js');
const h = useHarness();

const countsByEvent = async (prefix: string) => {
  const list = await h.query<{ event: string; n: number }>(
    `SELECT event, count(*) AS n FROM events WHERE workspace_id = ${sql(h.workspace.id)} AND event LIKE ${sql(prefix + '%')} GROUP BY event ORDER BY event`,
  );
  return Object.fromEntries(list.map((r) => [r.event, r.n]));
};

/** Whether each of `n` events whose names start with `prefix` is stored exactly once. */
const eachOnce = async (prefix: string, n: number) => {
  const counts = await countsByEvent(prefix);
  return Object.keys(counts).length === n && Object.values(counts).every((c) => c === 1);
};

/** How many events the page's IndexedDB queue holds (a read waits for the writes started before it). */
const queued = (tab: Page) =>
  tab.evaluate(() => new Promise<number>((resolve) => {
    const open = indexedDB.open('satu');
    open.onsuccess = () => {
      const count = open.result.transaction('queue').objectStore('queue').count();
      count.onsuccess = () => resolve(count.result);
    };
  }));

describe('delivery', () => {
  it('delivers events tracked across two reloads during an outage, exactly once, when the collector returns', async () => {
    const context = await h.browser.newContext();
    // The bundle normally comes from the collector (a returning visitor has it cached for 5 minutes);
    // here it is served from disk so that the page loads while the collector is down.
    await context.route('**/satu.min.js', (route) => route.fulfill({ path: bundle, contentType: 'text/javascript' }));
    const tab = await openShop(h, context);
    await tab.evaluate(() => (window as any).satu.flush());
    await h.stopCollector();
    try {
      await tab.evaluate(async () => {
        await (window as any).satu.track('Outage 1');
        await (window as any).satu.track('Outage 2');
      });
      await tab.reload();
      await sdkReady(tab);
      await tab.evaluate(() => (window as any).satu.track('Outage 3'));
      await tab.reload();
      await sdkReady(tab);
      await tab.evaluate(() => (window as any).satu.track('Outage 4'));
      // Nothing could be delivered; everything waits in IndexedDB.
      expect(await queued(tab)).toBeGreaterThanOrEqual(4);
      expect(await countsByEvent('Outage')).toEqual({});
    } finally {
      await h.startCollector();
    }
    const expected = { 'Outage 1': 1, 'Outage 2': 1, 'Outage 3': 1, 'Outage 4': 1 };
    await eventually(async () => JSON.stringify(await countsByEvent('Outage')) === JSON.stringify(expected), { timeoutMs: 60_000 });
    // The queue empties once everything is acknowledged.
    await eventually(() => queued(tab).then((n) => n === 0));
    expect(await countsByEvent('Outage')).toEqual(expected);
    await context.close();
  });

  // The calls' Promises have not resolved when the page starts to go (same task): IndexedDB may hold
  // none of them, and Chromium aborts the page's unfinished transactions when the document is torn
  // down (200 of 500 were lost that way under load). What saves them is the synchronous localStorage
  // copy made in pagehide, which the reloaded page moves into IndexedDB before it sends.
  it('loses nothing of a burst of calls followed at once by a reload, and stores each event once', async () => {
    const context = await h.browser.newContext();
    const tab = await openShop(h, context);
    // 500 calls and the reload in one task: the writes were only queued when the page started to go.
    await tab
      .evaluate(() => {
        for (let i = 0; i < 500; i++) (window as any).satu.track(`Burst Reload ${String(i).padStart(3, '0')}`, { i });
        location.reload();
      })
      .catch(() => {}); // the reload may destroy the context before evaluate answers
    await tab.waitForLoadState('load');
    await sdkReady(tab);
    const all = () => eachOnce('Burst Reload ', 500);
    await eventually(all, { timeoutMs: 90_000 });
    // And nothing arrives twice later (page-exit request and the reloaded page's resend are deduplicated).
    await eventually(() => queued(tab).then((n) => n === 0));
    expect(await all()).toBe(true);
    await context.close();
  });

  // A burst is written in slices of a few calls, a task each: a reload between two slices finds some
  // calls in IndexedDB, some still in memory (copied to localStorage in pagehide) and maybe some in
  // flight to the collector. Every one must arrive, once.
  it('loses nothing when the page reloads in the middle of writing a burst in slices', async () => {
    const context = await h.browser.newContext();
    const tab = await openShop(h, context);
    await tab.evaluate(() => {
      for (let i = 0; i < 1000; i++) (window as any).satu.track(`Slice Reload ${String(i).padStart(4, '0')}`, { i });
    });
    // 63 write tasks, 4 ms apart at least (nested timers): a reload now comes in the middle of them.
    const storedBefore = await queued(tab);
    await tab.evaluate(() => location.reload()).catch(() => {});
    expect(storedBefore).toBeGreaterThan(0);
    expect(storedBefore).toBeLessThan(1000);
    await tab.waitForLoadState('load');
    await sdkReady(tab);
    const all = () => eachOnce('Slice Reload ', 1000);
    await eventually(all, { timeoutMs: 90_000 });
    await eventually(() => queued(tab).then((n) => n === 0));
    expect(await all()).toBe(true);
    await context.close();
  });

  it('delivers an event tracked right before the page is closed', async () => {
    const context = await h.browser.newContext();
    const page = await openShop(h, context);
    // flushInterval is 1 s: only the page-exit path (keepalive/sendBeacon) can deliver this in time.
    await page.evaluate(() => void (window as any).satu.track('Closed Right Away'));
    await page.close();
    await eventually(async () => (await countsByEvent('Closed Right Away'))['Closed Right Away'] === 1);
    await context.close();
  });

  it('lets two tabs share one queue without sending an event twice', async () => {
    const context = await h.browser.newContext();
    const sent = new Map<string, number>();
    context.on('request', (req) => {
      if (!req.url().endsWith('/v1/batch')) return;
      for (const m of JSON.parse(req.postData() ?? '{}').batch ?? []) sent.set(m.messageId, (sent.get(m.messageId) ?? 0) + 1);
    });
    const tabs = [await context.newPage(), await context.newPage()];
    for (const tab of tabs) {
      await tab.goto(`${h.site.url}/shop/`);
      await sdkReady(tab);
    }
    await Promise.all(
      tabs.map((tab, t) =>
        tab.evaluate(async (t) => {
          for (let i = 0; i < 15; i++) (window as any).satu.track(`Tab ${t} event ${String(i).padStart(2, '0')}`);
          await (window as any).satu.flush();
        }, t),
      ),
    );
    await eventually(async () => Object.keys(await countsByEvent('Tab ')).length === 30);
    const twice = [...sent].filter(([, n]) => n > 1);
    expect(twice).toEqual([]);
    expect(Object.values(await countsByEvent('Tab ')).every((n) => n === 1)).toBe(true);
    await context.close();
  });

  it('waits for Retry-After on 503, drops a batch refused with 400, and drops single rejected events', async () => {
    const context = await h.browser.newContext();
    const page = await openShop(h, context);
    await page.evaluate(() => (window as any).satu.flush());
    const seen: { at: number; events: string[] }[] = [];
    const answers = [
      { status: 503, headers: { 'retry-after': '2' } },
      { status: 400, headers: {} },
    ];
    await page.route('**/v1/batch', async (route) => {
      const events = JSON.parse(route.request().postData()!).batch.map((m: { event?: string }) => m.event);
      seen.push({ at: Date.now(), events });
      const answer = answers.shift();
      if (!answer) return route.continue();
      await route.fulfill({
        status: answer.status,
        headers: { ...answer.headers, 'access-control-allow-origin': '*', 'access-control-expose-headers': 'Retry-After' },
        contentType: 'application/json',
        body: JSON.stringify({ error: { code: 'x', message: 'scripted answer' } }),
      });
    });
    await page.evaluate(() => (window as any).satu.track('Retry Me'));
    await eventually(async () => seen.length >= 2, { everyMs: 100 });
    // The retry came no sooner than Retry-After, and the 400 answer dropped the batch for good.
    expect(seen[1]!.at - seen[0]!.at).toBeGreaterThanOrEqual(1900);
    expect(seen[1]!.events).toEqual(['Retry Me']);
    // A message the collector rejects (event name over 1024 characters) leaves the queue; its neighbour is stored.
    await page.evaluate(async () => {
      const satu = (window as any).satu;
      satu.track('x'.repeat(2000));
      satu.track('Neighbour Of A Rejected Event');
      await satu.flush();
    });
    // Acknowledged is not yet resolved (ingest is asynchronous): wait for the row.
    await eventually(async () => (await countsByEvent('Neighbour'))['Neighbour Of A Rejected Event'] === 1);
    expect(await countsByEvent('Retry Me')).toEqual({});
    expect(await queued(page)).toBe(0);
    await context.close();
  });

  it('waits while the browser is offline and sends when it comes back online', async () => {
    const context = await h.browser.newContext();
    const page = await openShop(h, context);
    await page.evaluate(() => (window as any).satu.flush());
    let batches = 0;
    page.on('request', (req) => void (req.url().endsWith('/v1/batch') && batches++));
    await context.setOffline(true);
    await page.evaluate(() => (window as any).satu.track('Tracked Offline'));
    await new Promise((r) => setTimeout(r, 2500)); // past flushInterval and the first backoff
    expect(batches).toBe(0);
    await context.setOffline(false);
    await eventually(async () => (await countsByEvent('Tracked Offline'))['Tracked Offline'] === 1);
    await context.close();
  });

  it('keeps working with a memory queue where IndexedDB is unavailable', async () => {
    const context = await h.browser.newContext();
    // As in privacy modes that remove or block IndexedDB.
    await context.addInitScript(() => Object.defineProperty(window, 'indexedDB', { value: undefined }));
    const page = await openShop(h, context);
    expect(await page.evaluate(() => typeof indexedDB)).toBe('undefined');
    await page.evaluate(() => (window as any).satu.track('Without IndexedDB'));
    await eventually(async () => (await countsByEvent('Without IndexedDB'))['Without IndexedDB'] === 1);
    await context.close();
  });
});

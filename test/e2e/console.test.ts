// The marketer console in real headless Chromium against the real collector (wrangler dev on a
// temp local D1), with the demo dataset sent through the public ingest API.
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM_ARGS } from './harness';
// @ts-expect-error plain .mjs without types
import { build } from '../../scripts/build-console.mjs';
// @ts-expect-error plain .mjs without types
import { createSegments, demoMessages, sendMessages } from '../../scripts/lib/console-demo.mjs';
// @ts-expect-error plain .mjs helpers without types
import { waitResolved } from '../../scripts/lib/resolved.mjs';
// @ts-expect-error plain .mjs without types
import { applyMigrations, createWorkspace, projectRoot, randomToken, startCollector } from '../../scripts/lib/local-collector.mjs';

const SHOTS = path.join(projectRoot, 'test-results/console');

interface Person {
  email: string | null;
  spicyOrders: number;
  orders: number;
}
let stateDir: string;
let collector: { url: string; stop: () => Promise<void> };
let ws: { id: string; writeKey: string; secretKey: string };
let people: Person[];
let browser: Browser;

const secretApi = async <T>(p: string, init: { method?: string; json?: unknown } = {}): Promise<T> => {
  const res = await fetch(`${collector.url}${p}`, {
    method: init.method ?? 'GET',
    headers: { authorization: `Bearer ${ws.secretKey}`, 'content-type': 'application/json' },
    body: init.json === undefined ? undefined : JSON.stringify(init.json),
  });
  if (!res.ok) throw new Error(`${p}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
};

async function signedIn(width = 1280, height = 900): Promise<Page> {
  const page = await browser.newPage({ viewport: { width, height } });
  page.on('pageerror', (err) => console.error('page error', err));
  await page.goto(`${collector.url}/console/`);
  await page.getByLabel('Secret key').fill(ws.secretKey);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Overview' }).waitFor();
  return page;
}

const shot = (page: Page, name: string) => page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });

beforeAll(async () => {
  await build({ quiet: true });
  mkdirSync(SHOTS, { recursive: true });
  stateDir = mkdtempSync(path.join(tmpdir(), 'satu-console-'));
  const adminToken = randomToken();
  await applyMigrations(stateDir);
  collector = await startCollector({ stateDir, adminToken });
  ws = await createWorkspace(collector.url, adminToken, 'Warung Satu');
  const demo = demoMessages({ people: 40, seed: 11 });
  people = demo.people;
  await sendMessages(collector.url, ws.writeKey, demo.messages);
  await waitResolved(collector.url, ws.secretKey);
  await createSegments(collector.url, ws.secretKey);
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
});

afterAll(async () => {
  await browser?.close();
  await collector?.stop();
  if (stateDir) rmSync(stateDir, { recursive: true, force: true });
});

describe('serving /console', () => {
  it.each(['/console', '/console/', '/console/segments/new', '/console/profiles/email%3Aana%40example.com'])(
    'answers %s with the app and a strict CSP',
    async (p) => {
      const res = await fetch(`${collector.url}${p}`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/text\/html/);
      const csp = res.headers.get('content-security-policy') ?? '';
      expect(csp).toContain("default-src 'none'");
      expect(csp).toContain("script-src 'self'");
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).not.toContain('unsafe-inline');
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(await res.text()).toContain('<script type="module" src="/console/app.js">');
    },
  );

  it('serves the bundle as JavaScript and a missing file as 404', async () => {
    const js = await fetch(`${collector.url}/console/app.js`);
    expect(js.status).toBe(200);
    expect(js.headers.get('content-type')).toMatch(/javascript/);
    const missing = await fetch(`${collector.url}/console/nope.js`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ error: { code: 'not_found' } });
  });
});

describe('the console in Chromium', () => {
  it('refuses a write key and a wrong key in words, then signs in and shows the overview', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    await page.goto(`${collector.url}/console/`);
    await page.getByLabel('Secret key').fill(ws.writeKey);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.getByRole('alert').first().textContent()).toContain('That is a write key');
    await page.getByLabel('Secret key').fill('sk_wrong');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.locator('form .error').textContent()).toContain('Your key was not accepted: Invalid secret key');

    await page.getByLabel('Secret key').fill(ws.secretKey);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Overview' }).waitFor();
    const insights = await secretApi<{ total: number }>('/v1/insights/events?days=30');
    await expect.poll(() => page.locator('.stat-value').first().textContent()).toBe(insights.total.toLocaleString('en'));
    expect(await page.locator('svg.chart rect.bar').count()).toBe(30);
    expect(await page.locator('.top-events li').first().textContent()).toContain('Product Viewed');
    await expect.poll(() => page.locator('.tail-row').count()).toBeGreaterThan(0);
    await page.locator('td', { hasText: 'recorded daily from today' }).first().waitFor();
    await shot(page, 'overview');
    // The key is kept for the tab: a reload stays signed in.
    await page.reload();
    await page.getByRole('heading', { name: 'Overview' }).waitFor();
    expect(errors).toEqual([
      // The wrong key's answer, logged by Chromium as a failed resource; the page showed it in words.
      expect.stringContaining('401'),
    ]);
    await page.close();
  });

  it('shows a new event in the live tail without a reload', async () => {
    const page = await signedIn();
    await page.locator('.tail-row').first().waitFor();
    await sendMessages(collector.url, ws.writeKey, [{ type: 'track', event: 'Live Tail Probe', userId: 'u1000', messageId: 'probe-1' }]);
    await page.locator('.tail-row', { hasText: 'Live Tail Probe' }).waitFor({ timeout: 15_000 });
    await page.close();
  });

  it('finds a profile by email and shows its timeline', async () => {
    const person = people.find((p) => p.email && p.orders > 0)!;
    const page = await signedIn();
    await page.getByRole('link', { name: 'Profiles' }).click();
    await page.getByLabel('Find by').selectOption('email');
    await page.getByLabel('Value').fill(person.email!.toUpperCase());
    await page.getByRole('button', { name: 'Find' }).click();
    await page.getByRole('heading', { name: person.email! }).waitFor();
    const timeline = page.locator('.timeline li');
    await timeline.first().waitFor();
    const api = await secretApi<{ data: { event: string | null }[] }>(`/v1/profiles/${encodeURIComponent(`email:${person.email}`)}/events?limit=25`);
    expect(await timeline.count()).toBe(api.data.length);
    expect(await page.locator('.timeline').textContent()).toContain('Order Completed');
    expect(await page.getByRole('table', { name: 'Traits', exact: true }).textContent()).toContain(person.email!);
    await shot(page, 'profile');

    // An unknown person is an error in words, not a blank page.
    await page.getByRole('link', { name: 'Find another person' }).click();
    await page.getByLabel('Value').fill('nobody@example.com');
    await page.getByRole('button', { name: 'Find' }).click();
    await expect.poll(() => page.locator('main .error').textContent()).toContain('No such profile');
    await page.close();
  });

  it('shows predictions, RFM and computed traits on a profile, and the model with its weekly chart', async () => {
    await secretApi('/v1/predictions/fit', { method: 'POST' });
    await secretApi('/v1/computed-traits', { method: 'POST', json: { key: 'orders_total', aggregate: 'count', event: 'Order Completed' } });
    const person = people.find((p) => p.email && p.orders > 0)!;
    const profile = await secretApi<{ predictions: { churnRisk: number }; rfm: { score: string } }>(`/v1/profiles/${encodeURIComponent(`email:${person.email}`)}`);
    const page = await signedIn();
    await page.goto(`${collector.url}/console/profiles/${encodeURIComponent(`email:${person.email}`)}`);
    const predictions = page.getByRole('table', { name: 'Predictions', exact: true });
    await predictions.waitFor();
    expect(await predictions.textContent()).toContain(`${Math.round(profile.predictions.churnRisk * 1000) / 10}%`);
    expect(await predictions.textContent()).toContain(profile.rfm.score);
    expect(await page.getByRole('table', { name: 'Your computed traits', exact: true }).textContent()).toContain(String(person.orders));
    await shot(page, 'profile-predictions');

    await page.getByRole('link', { name: 'Predictions', exact: true }).click();
    await page.getByRole('heading', { name: 'Predictions', exact: true }).waitFor();
    await page.getByRole('img', { name: /Repeat orders per week/ }).waitFor();
    expect(await page.locator('.chart .expected-line').count()).toBe(1);
    expect(await page.getByRole('table', { name: 'Model', exact: true }).textContent()).toContain('Order Completed');
    // The computed traits load beside the model (their own request): wait for them, not for the chart.
    await expect.poll(() => page.locator('main').textContent()).toContain('orders_total');
    await shot(page, 'predictions');
    await page.close();
  });

  it('builds a segment with the builder, shows the same preview count as the API, saves it and lists its members', async () => {
    const page = await signedIn();
    await page.goto(`${collector.url}/console/segments/new`);
    await page.getByRole('heading', { name: 'New segment' }).waitFor();
    await page.getByLabel('Name', { exact: true }).fill('Spicy regulars');
    expect(await page.getByLabel('Key', { exact: true }).inputValue()).toBe('spicy_regulars');

    // Keyboard only for the rule: the starting rule is "did <event> at least 1 times in the last 30 days".
    await page.getByLabel('Event name').focus();
    await page.keyboard.type('Order Completed');
    await page.getByRole('button', { name: '+ property filter' }).focus();
    await page.keyboard.press('Enter');
    await page.getByLabel('Property', { exact: true }).focus();
    await page.keyboard.type('category');
    await page.locator('.row.where').getByLabel('Value', { exact: true }).fill('spicy');

    const condition = {
      and: [{ event: 'Order Completed', where: [{ property: 'category', op: 'eq', value: 'spicy' }], within: { days: 30 } }],
    };
    const expected = await secretApi<{ size: number }>('/v1/segments/preview', { method: 'POST', json: { condition } });
    expect(expected.size).toBe(people.filter((p) => p.spicyOrders > 0).length);
    await expect.poll(() => page.getByTestId('preview-size').textContent(), { timeout: 10_000 }).toBe(String(expected.size));
    await shot(page, 'segment-builder');

    // Tightening the rule updates the preview: at least 2 spicy orders.
    await page.getByLabel('Times', { exact: true }).fill('2');
    const tighter = await secretApi<{ size: number }>('/v1/segments/preview', {
      method: 'POST',
      json: { condition: { and: [{ ...condition.and[0], count: { gte: 2 } }] } },
    });
    await expect.poll(() => page.getByTestId('preview-size').textContent(), { timeout: 10_000 }).toBe(String(tighter.size));
    await page.getByLabel('Times', { exact: true }).fill('1');
    await expect.poll(() => page.getByTestId('preview-size').textContent(), { timeout: 10_000 }).toBe(String(expected.size));

    await page.getByRole('button', { name: 'Save segment' }).click();
    await page.getByRole('heading', { name: 'Spicy regulars' }).waitFor();
    expect(await page.getByTestId('segment-size').textContent()).toBe(String(expected.size));
    const saved = await secretApi<{ condition: unknown; size: number }>('/v1/segments/spicy_regulars');
    expect(saved.condition).toEqual(condition);
    await expect.poll(() => page.locator('table.members tbody tr').count()).toBe(expected.size);
    await shot(page, 'segment');

    const download = page.waitForEvent('download');
    await page.getByRole('button', { name: 'Download CSV' }).click();
    expect((await download).suggestedFilename()).toBe('spicy_regulars-members.csv');

    await page.getByRole('link', { name: 'Segments', exact: true }).click();
    await page.getByRole('heading', { name: 'Segments', exact: true }).waitFor();
    await page.locator('tr', { hasText: 'spicy_regulars' }).waitFor();
    await shot(page, 'segments');
    await page.close();
  });

  it('adds a webhook destination and lists its deliveries with their status', async () => {
    const page = await signedIn();
    await page.getByRole('link', { name: 'Segments', exact: true }).click();
    // Nothing listens on port 9 (discard): deliveries wait in the outbox as pending.
    await page.getByLabel('URL').fill('http://127.0.0.1:9/satu-hook');
    await page.getByRole('button', { name: 'Add destination' }).click();
    await page.locator('.destinations li', { hasText: 'http://127.0.0.1:9/satu-hook' }).waitFor();
    expect(await page.locator('.destinations li').first().textContent()).toContain('Segment webhook');
    await expect.poll(() => page.locator('.destinations').textContent()).toContain('No deliveries yet.');

    const created = await secretApi<{ size: number }>('/v1/segments', {
      method: 'POST',
      json: { key: 'free_plan', name: 'Free plan', condition: { trait: 'plan', op: 'eq', value: 'free' } },
    });
    expect(created.size).toBeGreaterThan(0);
    await page.reload();
    const rows = page.locator('.destinations tbody tr');
    await expect.poll(() => rows.count()).toBe(Math.min(10, created.size));
    expect(await rows.first().textContent()).toContain('segment.entered');
    expect(await rows.first().textContent()).toContain('pending');
    expect(await page.locator('.destinations li').first().textContent()).toContain('Health: retrying or queued');
    await shot(page, 'destinations');
    await page.close();
  });

  it('opens a saved segment in the builder with its rule and the same count', async () => {
    const page = await signedIn();
    const saved = await secretApi<{ size: number }>('/v1/segments/cart_abandoners');
    await page.goto(`${collector.url}/console/segments/cart_abandoners/edit`);
    await page.getByRole('heading', { name: 'Edit Cart abandoners' }).waitFor();
    const didOrNot = page.getByLabel('Did or did not');
    expect(await didOrNot.nth(0).inputValue()).toBe('');
    expect(await didOrNot.nth(1).inputValue()).toBe('not');
    expect(await page.getByLabel('Event name').nth(1).inputValue()).toBe('Order Completed');
    expect(await page.getByLabel('Number of days').nth(1).inputValue()).toBe('2');
    expect(await page.getByLabel('Key', { exact: true }).isDisabled()).toBe(true);
    await expect.poll(() => page.getByTestId('preview-size').textContent(), { timeout: 10_000 }).toBe(String(saved.size));
    await page.close();
  });

  it('names the broken rule when the builder is incomplete', async () => {
    const page = await signedIn();
    await page.goto(`${collector.url}/console/segments/new`);
    await page.getByRole('button', { name: '+ Trait' }).click();
    await expect.poll(() => page.locator('.problems li').allTextContents()).toEqual(expect.arrayContaining(['Name the event (or * for any event)', 'Name the trait']));
    await page.getByLabel('Name', { exact: true }).fill('Broken');
    await page.getByRole('button', { name: 'Save segment' }).click();
    await expect.poll(() => page.locator('form .error').textContent()).toContain('Fix the rules first');
    await page.close();
  });

  it('fits a 360 px wide screen', async () => {
    const page = await signedIn(360, 780);
    await page.locator('svg.chart').waitFor();
    const overflow = () => page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(await overflow()).toBeLessThanOrEqual(0);
    await shot(page, 'overview-360');
    await page.goto(`${collector.url}/console/segments/new`);
    await page.getByRole('heading', { name: 'New segment' }).waitFor();
    expect(await overflow()).toBeLessThanOrEqual(0);
    await shot(page, 'segment-builder-360');
    const person = people.find((p) => p.email && p.orders > 0)!;
    await page.goto(`${collector.url}/console/profiles/${encodeURIComponent(`email:${person.email}`)}`);
    await page.locator('.timeline li').first().waitFor();
    expect(await overflow()).toBeLessThanOrEqual(0);
    await shot(page, 'profile-360');
    await page.goto(`${collector.url}/console/segments/cart_abandoners`);
    await page.locator('table.members tbody tr').first().waitFor();
    await shot(page, 'segment-360');
    await page.close();
  });
});

describe('privacy actions in the console', () => {
  it('exports a person as JSON, then deletes them only after a confirmation', async () => {
    const used = people.find((p) => p.email && p.orders > 0);
    const person = [...people].reverse().find((p) => p.email && p !== used)!;
    const ref = `email:${person.email}`;
    const page = await signedIn();
    await page.goto(`${collector.url}/console/profiles/${encodeURIComponent(ref)}`);
    await page.getByRole('heading', { name: person.email! }).waitFor();

    const download = page.waitForEvent('download');
    await page.getByRole('button', { name: 'Export JSON' }).click();
    const file = await (await download).path();
    const exported = JSON.parse(readFileSync(file!, 'utf8'));
    expect(JSON.stringify(exported)).toContain(person.email!);

    await page.getByRole('button', { name: 'Delete…' }).click();
    const confirm = page.getByRole('group', { name: 'Confirm deletion' });
    expect(await confirm.isVisible()).toBe(true);
    await page.getByRole('button', { name: 'Cancel' }).click();
    expect(await confirm.isVisible()).toBe(false);
    expect((await fetch(`${collector.url}/v1/profiles/${encodeURIComponent(ref)}`, { headers: { authorization: `Bearer ${ws.secretKey}` } })).status).toBe(200);

    await page.getByRole('button', { name: 'Delete…' }).click();
    await page.getByRole('button', { name: 'Delete permanently' }).click();
    await page.getByRole('heading', { name: 'Profile deleted' }).waitFor();
    expect((await fetch(`${collector.url}/v1/profiles/${encodeURIComponent(ref)}`, { headers: { authorization: `Bearer ${ws.secretKey}` } })).status).toBe(404);
    await page.close();
  });
});

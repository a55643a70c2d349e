// Takes the README's console screenshot (docs/console.png): a fresh local collector on a temp D1,
// the seeded demo shop sent through the public API, the console in headless Chromium.
// Usage: node scripts/screenshot-console.mjs [out.png]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { build } from './build-console.mjs';
import { createSegments, demoMessages, sendMessages } from './lib/console-demo.mjs';
import { waitResolved } from './lib/resolved.mjs';
import { applyMigrations, createWorkspace, projectRoot, randomToken, startCollector } from './lib/local-collector.mjs';

const out = path.resolve(process.argv[2] ?? path.join(projectRoot, 'docs/console.png'));
const stateDir = mkdtempSync(path.join(tmpdir(), 'satu-shot-'));
const adminToken = randomToken();
await build({ quiet: true });
await applyMigrations(stateDir);
const collector = await startCollector({ stateDir, adminToken });
let browser;
try {
  const ws = await createWorkspace(collector.url, adminToken, 'Warung Satu');
  const { messages } = demoMessages({ people: 60, seed: 7 });
  await sendMessages(collector.url, ws.writeKey, messages);
  await waitResolved(collector.url, ws.secretKey);
  await createSegments(collector.url, ws.secretKey);
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 }, deviceScaleFactor: 1 });
  await page.goto(`${collector.url}/console/`);
  await page.getByLabel('Secret key').fill(ws.secretKey);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.locator('svg.chart').waitFor();
  await page.locator('td', { hasText: 'recorded daily' }).first().waitFor();
  await page.locator('.tail-row').first().waitFor();
  await page.screenshot({ path: out });
  console.log(`wrote ${path.relative(process.cwd(), out)}`);
} finally {
  await browser?.close();
  await collector.stop();
  rmSync(stateDir, { recursive: true, force: true });
}

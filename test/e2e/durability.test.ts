// A 200 from ingest means the messages are durable: kill -9 every process of the local collector
// right after the answers, start it again on the same state, and every acknowledged event is in
// its profile exactly once (the inbox is Durable Object storage; its alarm survives the kill).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
// @ts-expect-error plain .mjs helpers without types
import { applyMigrations, createWorkspace, randomToken, startCollector } from '../../scripts/lib/local-collector.mjs';
import { d1Reader } from './harness';

const stateDir = mkdtempSync(path.join(tmpdir(), 'satu-durability-'));
afterAll(() => rmSync(stateDir, { recursive: true, force: true }));

const PEOPLE = 300;
const BATCHES = 40;
const PER_BATCH = 100;

describe('kill -9 right after the acknowledgement', () => {
  it('loses nothing and counts nothing twice', { timeout: 180_000 }, async () => {
    await applyMigrations(stateDir);
    const adminToken = randomToken();
    let collector = await startCollector({ stateDir, adminToken });
    const ws = await createWorkspace(collector.url, adminToken, 'durability');
    const auth = { authorization: `Basic ${btoa(`${ws.writeKey}:`)}`, 'content-type': 'application/json' };
    const bearer = { authorization: `Bearer ${ws.secretKey}` };

    // Every batch: orders from 100 of 300 people, and their identify calls (merging a device).
    const batch = (b: number) =>
      Array.from({ length: PER_BATCH }, (_, j) => {
        const person = (b * PER_BATCH + j) % PEOPLE;
        return j % 10 === 0
          ? { type: 'identify', userId: `u-${person}`, anonymousId: `dev-${person}`, traits: { email: `p${person}@x.io` }, messageId: `m-${b}-${j}` }
          : { type: 'track', anonymousId: `dev-${person}`, event: 'Order Completed', properties: { revenue: 1 }, messageId: `m-${b}-${j}` };
      });
    // 8 senders at a time, and the kill as soon as the last answer is in.
    const statuses: number[] = [];
    let next = 0;
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        for (let b = next++; b < BATCHES; b = next++) {
          const res = await fetch(`${collector.url}/v1/batch`, { method: 'POST', headers: auth, body: JSON.stringify({ batch: batch(b) }) });
          statuses.push(res.status);
        }
      }),
    );
    await collector.kill();
    expect(statuses).toEqual(Array(BATCHES).fill(200));
    // The resolver had not caught up: the kill hit accepted events that were only in the inbox.
    const reader = await d1Reader(stateDir);
    const storedAtKill = (await reader.db.prepare('SELECT count(*) AS n FROM events').first<{ n: number }>())!.n;
    await reader.dispose();
    expect(storedAtKill).toBeLessThan(BATCHES * PER_BATCH);

    collector = await startCollector({ stateDir, adminToken, port: collector.port });
    try {
      // Nobody calls anything: the alarm set before the kill resumes the resolver.
      await expect
        .poll(async () => (await (await fetch(`${collector.url}/v1/ingest/status`, { headers: bearer })).json()).pending, { timeout: 60_000, interval: 200 })
        .toBe(0);
      let events = 0;
      let revenue = 0;
      for (let person = 0; person < PEOPLE; person++) {
        const res = await fetch(`${collector.url}/v1/profiles/anonymous_id:dev-${person}`, { headers: bearer });
        expect(res.status).toBe(200);
        const p = await res.json();
        events += p.computed.eventCount;
        revenue += p.computed.revenue;
      }
      expect(events).toBe(BATCHES * PER_BATCH);
      expect(revenue).toBe(BATCHES * PER_BATCH * 0.9);
    } finally {
      await collector.stop();
    }
  });
});

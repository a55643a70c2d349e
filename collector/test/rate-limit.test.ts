import { env } from 'cloudflare:workers';
import { beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../src/app';
import { DEFAULT_LIMITS, FixedWindowLimiter } from '../src/limits/rate-limit';
import { basic, createWorkspace, type TestWorkspace } from './helpers';

describe('FixedWindowLimiter', () => {
  it.each([
    // limit, period, request times (ms), expected outcomes
    [2, 10, [0, 1, 2], [true, true, false]],
    [2, 10, [0, 1, 9_999, 10_000], [true, true, false, true]],
    [1, 60, [5_000, 59_999, 60_000, 60_001], [true, false, true, false]],
    [3, 10, [0, 0, 0, 0, 25_000], [true, true, true, false, true]],
  ] as const)('limit %i per %i s at %j -> %j', async (limit, periodSeconds, times, expected) => {
    let now = 0;
    const limiter = new FixedWindowLimiter({ limit, periodSeconds }, () => now);
    const outcomes: boolean[] = [];
    for (const t of times) {
      now = t;
      outcomes.push((await limiter.limit({ key: 'k' })).success);
    }
    expect(outcomes).toEqual(expected);
  });

  it('counts each key on its own', async () => {
    const limiter = new FixedWindowLimiter({ limit: 1, periodSeconds: 10 }, () => 0);
    expect(limiter.take('a')).toBe(true);
    expect(limiter.take('a')).toBe(false);
    expect(limiter.take('b')).toBe(true);
  });

  it.each([
    [10, 0, 10],
    [10, 2_500, 8],
    [10, 9_999, 1],
    [60, 61_000, 59],
  ] as const)('with a %i s window at %i ms, Retry-After is %i s', (periodSeconds, now, seconds) => {
    expect(new FixedWindowLimiter({ limit: 1, periodSeconds }, () => now).secondsUntilReset()).toBe(seconds);
  });
});

describe('rate limits on the collector', () => {
  let ws: TestWorkspace;
  beforeAll(async () => {
    ws = await createWorkspace('Limited shop');
  });

  it('has the Cloudflare rate limiting bindings, with the documented generous defaults', async () => {
    expect(env.INGEST_LIMITER).toBeDefined();
    expect(env.READ_LIMITER).toBeDefined();
    expect(DEFAULT_LIMITS).toEqual({ ingest: { limit: 50_000, periodSeconds: 10 }, read: { limit: 20_000, periodSeconds: 10 } });
    // The simulated binding answers like the deployed one.
    expect(await env.READ_LIMITER!.limit({ key: 'probe' })).toEqual({ success: true });
  });

  // The real app, in process, with a small limit so the test reaches it quickly.
  const app = createApp();
  const withLimits = (limit: number) => ({
    ...env,
    INGEST_LIMITER: new FixedWindowLimiter({ limit, periodSeconds: 60 }),
    READ_LIMITER: new FixedWindowLimiter({ limit, periodSeconds: 60 }),
  });

  it('answers 429 with Retry-After once a write key spent its ingest budget, per key', async () => {
    const limited = withLimits(3);
    const send = (key: string) =>
      app.request(
        '/v1/batch',
        { method: 'POST', headers: { authorization: basic(key), 'content-type': 'application/json' }, body: JSON.stringify({ batch: [{ type: 'track', event: 'Hit', userId: 'r' }] }) },
        limited,
      );
    for (let i = 0; i < 3; i++) expect((await send(ws.writeKey)).status).toBe(200);
    const res = await send(ws.writeKey);
    expect(res.status).toBe(429);
    const retryAfter = Number(res.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(await res.json()).toMatchObject({ error: { code: 'rate_limited' } });
    // Another workspace's key has its own budget.
    const other = await createWorkspace('Unlimited shop');
    expect((await send(other.writeKey)).status).toBe(200);
  });

  it('answers 429 on read routes once a secret key spent its read budget', async () => {
    const limited = withLimits(2);
    const read = () => app.request('/v1/settings', { headers: { authorization: `Bearer ${ws.secretKey}` } }, limited);
    expect((await read()).status).toBe(200);
    expect((await read()).status).toBe(200);
    const res = await read();
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(await res.json()).toMatchObject({ error: { code: 'rate_limited' } });
  });

  // Profile reads spend the limit while they read (the two round trips overlap): the answer is the
  // same 429 with Retry-After, whatever the read found, and a write on the same routes waits for it.
  it('answers 429 on profile reads and their writes once the budget is spent', async () => {
    const limited = withLimits(1);
    const bearer = { authorization: `Bearer ${ws.secretKey}` };
    expect((await app.request('/v1/profiles/user:nobody', { headers: bearer }, limited)).status).toBe(404);
    for (const path of ['/v1/profiles/user:nobody', '/v1/profiles/user:nobody/events']) {
      const res = await app.request(path, { headers: bearer }, limited);
      expect(res.status).toBe(429);
      expect(res.headers.get('retry-after')).toMatch(/^\d+$/);
      expect(await res.json()).toMatchObject({ error: { code: 'rate_limited' } });
    }
    const merge = await app.request('/v1/profiles/user:nobody/merge', { method: 'POST', headers: { ...bearer, 'content-type': 'application/json' }, body: '{}' }, limited);
    expect(merge.status).toBe(429);
  });

  it('lets requests through when the limiter itself fails', async () => {
    const broken = { ...env, READ_LIMITER: { limit: async () => Promise.reject(new Error('limiter down')) } };
    const res = await app.request('/v1/settings', { headers: { authorization: `Bearer ${ws.secretKey}` } }, broken);
    expect(res.status).toBe(200);
  });
});

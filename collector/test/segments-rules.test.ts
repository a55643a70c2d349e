import { env } from 'cloudflare:workers';
import { beforeAll, describe, expect, it } from 'vitest';
import { compileCondition } from '../src/segments/compile';
import type { Condition } from '../src/segments/condition';
import { previewCondition } from '../src/store/members';
import { createWorkspace, type TestWorkspace } from './helpers';
import { api, DAY, HOUR, insertEvents, insertProfiles } from './segment-fixtures';

// Rule semantics on real D1: three people and one merged-away profile with events at
// controlled past timestamps, and one condition per operator/combinator with who must match.
let ws: TestWorkspace;
const T = Date.now();
const iso = (ms: number) => new Date(ms).toISOString();

beforeAll(async () => {
  ws = await createWorkspace('Rules');
  await insertProfiles(ws.id, [
    {
      id: 'ana',
      traits: { plan: 'pro', country: 'ID', tags: ['spicy', 'vegan'], email: 'ana@example.com', age: 34, vip: true, trialEnds: iso(T + 5 * DAY) },
      computed: { eventCounts: { 'Order Completed': 3 } },
      revenue: 120,
      eventCount: 5,
      firstSeen: T - 100 * DAY,
      lastSeen: T - DAY,
    },
    {
      id: 'budi',
      traits: { plan: 'free', country: 'SG', tags: 'spicy ramen lover', email: 'budi@example.com', age: '34', vip: false },
      eventCount: 1,
      firstSeen: T - 40 * DAY,
      lastSeen: T - 2 * DAY,
    },
    { id: 'citra', traits: { trialEnds: iso(T - 5 * DAY) }, revenue: 10, eventCount: 2, firstSeen: T - 60 * DAY, lastSeen: T - 45 * DAY },
    // Merged into ana: its events are ana's, it is never a candidate itself.
    { id: 'dewi', canonicalId: 'ana', traits: { plan: 'pro' }, firstSeen: T - 3 * DAY, lastSeen: T - 2 * DAY },
  ]);
  await insertEvents(ws.id, [
    { profileId: 'ana', event: 'Order Completed', timestamp: T - DAY, properties: { category: 'spicy', total: 50 } },
    { profileId: 'ana', event: 'Order Completed', timestamp: T - 5 * DAY, properties: { category: 'spicy', total: 40 } },
    { profileId: 'ana', event: 'Order Completed', timestamp: T - 20 * DAY, properties: { category: 'spicy', total: 30 } },
    { profileId: 'ana', event: 'Product Added', timestamp: T - 3 * DAY },
    { profileId: 'dewi', event: 'Order Completed', timestamp: T - 2 * DAY, properties: { category: 'spicy' } },
    { profileId: 'budi', event: 'Product Added', timestamp: T - 2 * DAY, properties: { sku: 'RAMEN-1' } },
    { profileId: 'citra', event: 'Order Completed', timestamp: T - 45 * DAY, properties: { category: 'mild' } },
    { profileId: 'citra', event: 'Product Added', timestamp: T - 50 * DAY },
    { profileId: 'citra', event: 'Home', timestamp: T - 46 * DAY, type: 'page' },
  ]);
});

async function preview(condition: unknown) {
  const res = await api(ws.secretKey, '/v1/segments/preview', { method: 'POST', json: { condition, sampleSize: 100 } });
  expect(res.status).toBe(200);
  return (await res.json()) as { size: number; sample: { id: string }[] };
}

describe('who matches', () => {
  it.each([
    ['trait eq', { trait: 'plan', op: 'eq', value: 'pro' }, ['ana']],
    ['trait neq includes people without the trait', { trait: 'plan', op: 'neq', value: 'pro' }, ['budi', 'citra']],
    ['gt compares numbers only ("34" is text)', { trait: 'age', op: 'gt', value: 30 }, ['ana']],
    ['gte', { trait: 'age', op: 'gte', value: 34 }, ['ana']],
    ['lt', { trait: 'age', op: 'lt', value: 34 }, []],
    ['lte', { trait: 'age', op: 'lte', value: 34 }, ['ana']],
    ['boolean eq', { trait: 'vip', op: 'eq', value: true }, ['ana']],
    ['boolean neq', { trait: 'vip', op: 'neq', value: true }, ['budi', 'citra']],
    ['in', { trait: 'country', op: 'in', value: ['ID', 'SG'] }, ['ana', 'budi']],
    ['contains: array element or substring', { trait: 'tags', op: 'contains', value: 'spicy' }, ['ana', 'budi']],
    ['contains misses', { trait: 'tags', op: 'contains', value: 'vegan' }, ['ana']],
    ['startsWith', { trait: 'email', op: 'startsWith', value: 'bu' }, ['budi']],
    ['exists', { trait: 'email', op: 'exists' }, ['ana', 'budi']],
    ['notExists', { trait: 'email', op: 'notExists' }, ['citra']],
    ['trait date after now', { trait: 'trialEnds', op: 'gt', value: { daysAgo: 0 } }, ['ana']],
    ['trait date before an ISO date', { trait: 'trialEnds', op: 'lt', value: iso(T) }, ['citra']],
    ['computed revenue', { computed: 'revenue', op: 'gte', value: 100 }, ['ana']],
    ['computed eventCount', { computed: 'eventCount', op: 'eq', value: 1 }, ['budi']],
    ['dormant 30 days', { computed: 'lastSeen', op: 'lt', value: { daysAgo: 30 } }, ['citra']],
    ['first seen within 50 days', { computed: 'firstSeen', op: 'gte', value: { daysAgo: 50 } }, ['budi']],
    ['first seen before an ISO date', { computed: 'firstSeen', op: 'lt', value: iso(T - 70 * DAY) }, ['ana']],
    ['computed JSON path', { computed: 'eventCounts.Order Completed', op: 'gte', value: 3 }, ['ana']],
    ['event at least once', { event: 'Order Completed' }, ['ana', 'citra']],
    ['spicy 4+ times in 30 days, counting the merged profile', {
      event: 'Order Completed', where: [{ property: 'category', op: 'eq', value: 'spicy' }], within: { days: 30 }, count: { gte: 4 },
    }, ['ana']],
    ['spicy 5+ times', { event: 'Order Completed', where: [{ property: 'category', op: 'eq', value: 'spicy' }], count: { gte: 5 } }, []],
    ['window in days', { event: 'Order Completed', within: { days: 2 } }, ['ana']],
    ['window in hours', { event: 'Product Added', within: { hours: 49 } }, ['budi']],
    ['window between dates', { event: '*', within: { from: iso(T - 51 * DAY), to: iso(T - 44 * DAY) } }, ['citra']],
    ['any message type with "*"', { event: '*', within: { from: iso(T - 46 * DAY - HOUR), to: iso(T - 46 * DAY + HOUR) } }, ['citra']],
    ['count eq', { event: 'Order Completed', count: { eq: 1 } }, ['citra']],
    ['count eq 0', { event: 'Order Completed', count: { eq: 0 } }, ['budi']],
    ['count lte', { event: 'Order Completed', count: { lte: 1 } }, ['budi', 'citra']],
    ['count range', { event: 'Order Completed', count: { gte: 2, lte: 10 } }, ['ana']],
    ['property filter with in', { event: 'Order Completed', where: [{ property: 'category', op: 'in', value: ['mild'] }] }, ['citra']],
    ['property filter with a number', { event: 'Order Completed', where: [{ property: 'total', op: 'gt', value: 45 }] }, ['ana']],
    ['cart abandoners: added in 7 days, no order in 2 days', {
      and: [{ event: 'Product Added', within: { days: 7 } }, { not: { event: 'Order Completed', within: { days: 2 } } }],
    }, ['budi']],
    ['or', { or: [{ trait: 'plan', op: 'eq', value: 'free' }, { computed: 'revenue', op: 'eq', value: 10 }] }, ['budi', 'citra']],
    ['not is the complement, also over missing traits', { not: { trait: 'age', op: 'gt', value: 30 } }, ['budi', 'citra']],
    ['plan is pro and lives in ID', { and: [{ trait: 'plan', op: 'eq', value: 'pro' }, { trait: 'country', op: 'eq', value: 'ID' }] }, ['ana']],
  ])('%s', async (_label, condition, expected) => {
    // Through the API: the set strategy (one pass over the events), as backfills run.
    const result = await preview(condition);
    expect(result.sample.map((p) => p.id).sort()).toEqual(expected);
    expect(result.size).toBe(expected.length);
    // The correlated strategy (per-profile lookups), as real-time updates run, must agree.
    const correlated = await previewCondition(env.DB, ws.id, (params) => compileCondition(condition as Condition, params, Date.now()), 100);
    expect(correlated.sample.map((p) => p.id).sort()).toEqual(expected);
  });

  it('membership of another segment', async () => {
    const res = await api(ws.secretKey, '/v1/segments', {
      method: 'POST',
      json: { key: 'buyers', name: 'Buyers', condition: { event: 'Order Completed' } },
    });
    expect(res.status).toBe(201);
    expect((await preview({ segment: 'buyers' })).sample.map((p) => p.id).sort()).toEqual(['ana', 'citra']);
    expect((await preview({ not: { segment: 'buyers' } })).sample.map((p) => p.id)).toEqual(['budi']);
  });
});

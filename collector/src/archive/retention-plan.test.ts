import { describe, expect, it } from 'vitest';
import type { Condition } from '../segments/condition';
import { retentionPlan, type RetentionInput } from './retention-plan';

const now = Date.UTC(2026, 11, 6);
const DAY = 86_400_000;
const plan = (over: Partial<RetentionInput>) => retentionPlan({ now, hotDays: 30, segments: [], computedTraits: [], orderEvent: null, ...over });
const seg = (condition: Condition) => ({ condition });

describe('retention plan', () => {
  it.each<[string, Partial<RetentionInput>, { before: number; keep: string[] | 'all' }]>([
    ['the hot window alone', {}, { before: now - 30 * DAY, keep: [] }],
    ['a longer segment window', { segments: [seg({ event: 'Viewed', within: { days: 90 } })] }, { before: now - 90 * DAY, keep: [] }],
    ['a shorter one changes nothing', { segments: [seg({ event: 'Viewed', within: { hours: 48 } })] }, { before: now - 30 * DAY, keep: [] }],
    ['a window from a date', { segments: [seg({ event: 'Viewed', within: { from: '2026-01-01' } })] }, { before: Date.UTC(2026, 0, 1), keep: [] }],
    ['nested under not/or/and', { segments: [seg({ and: [{ trait: 'plan', op: 'eq', value: 'pro' }, { not: { or: [{ event: 'A', within: { days: 100 } }] } }] })] }, { before: now - 100 * DAY, keep: [] }],
    ['an all-time segment condition keeps its event', { segments: [seg({ event: 'Signed Up' })] }, { before: now - 30 * DAY, keep: ['Signed Up'] }],
    ['a window only up to a date is all-time', { segments: [seg({ event: 'B', within: { to: '2026-01-01' } })] }, { before: now - 30 * DAY, keep: ['B'] }],
    ['a windowed computed trait', { computedTraits: [{ event: 'Order Completed', windowDays: 365 }] }, { before: now - 365 * DAY, keep: [] }],
    ['an all-time computed trait keeps its event', { computedTraits: [{ event: 'Order Completed', windowDays: null }] }, { before: now - 30 * DAY, keep: ['Order Completed'] }],
    ['the predictions keep their orders', { orderEvent: 'Order Completed', segments: [seg({ event: 'Z' })] }, { before: now - 30 * DAY, keep: ['Order Completed', 'Z'] }],
    ['an all-time rule over any event keeps everything', { computedTraits: [{ event: '*', windowDays: null }] }, { before: now - 30 * DAY, keep: 'all' }],
  ])('%s', (_, input, expected) => {
    expect(plan(input)).toEqual(expected);
  });
});

import { describe, expect, it } from 'vitest';
import { validateCondition } from './validate';

describe('validateCondition accepts', () => {
  it.each([
    ['a trait comparison', { trait: 'plan', op: 'eq', value: 'pro' }],
    ['every comparison op on a trait', { and: ['eq', 'neq', 'gt', 'gte', 'lt', 'lte'].map((op) => ({ trait: 'n', op, value: 1 })) }],
    ['in, contains, startsWith, exists, notExists', {
      or: [
        { trait: 'c', op: 'in', value: ['ID', 'SG'] },
        { trait: 'tags', op: 'contains', value: 'spicy' },
        { trait: 'email', op: 'startsWith', value: 'ana' },
        { trait: 'email', op: 'exists' },
        { trait: 'email', op: 'notExists' },
      ],
    }],
    ['dates as ISO or daysAgo', { and: [{ computed: 'lastSeen', op: 'lt', value: { daysAgo: 30 } }, { trait: 'trialEnds', op: 'gt', value: '2026-01-01T10:00:00Z' }] }],
    ['computed date as epoch ms', { computed: 'firstSeen', op: 'gte', value: 1767225600000 }],
    ['the spicy example', { event: 'Order Completed', where: [{ property: 'category', op: 'eq', value: 'spicy' }], within: { days: 30 }, count: { gte: 3 } }],
    ['cart abandoners', { and: [{ event: 'Product Added', within: { days: 7 } }, { not: { event: 'Order Completed', within: { days: 2 } } }] }],
    ['any event between dates', { event: '*', within: { from: '2026-01-01', to: '2026-02-01' } }],
    ['hours window and count range', { event: 'Viewed', within: { hours: 6 }, count: { gte: 2, lte: 5 } }],
    ['segment reference', { segment: 'buyers_30d' }],
  ])('%s', (_label, condition) => {
    const result = validateCondition(condition);
    expect(result).toEqual({ ok: true, condition });
  });
});

describe('validateCondition refuses, naming the path', () => {
  it.each([
    ['not an object', 'pro', 'condition'],
    ['two kinds in one node', { trait: 'a', event: 'b', op: 'exists' }, 'condition'],
    ['no kind', { op: 'eq' }, 'condition'],
    ['unknown op', { and: [{ trait: 'plan', op: 'like', value: 'x' }] }, 'condition.and[0].op'],
    ['unknown key', { trait: 'plan', op: 'eq', value: 'x', extra: 1 }, 'condition.extra'],
    ['empty and', { and: [] }, 'condition.and'],
    ['missing value', { trait: 'plan', op: 'eq' }, 'condition.value'],
    ['value on exists', { trait: 'plan', op: 'exists', value: 1 }, 'condition.value'],
    ['gt with a word', { trait: 'plan', op: 'gt', value: 'pro' }, 'condition.value'],
    ['in with an empty list', { trait: 'c', op: 'in', value: [] }, 'condition.value'],
    ['in with an object', { trait: 'c', op: 'in', value: ['a', {}] }, 'condition.value[1]'],
    ['contains on a number column', { computed: 'revenue', op: 'contains', value: 'x' }, 'condition.op'],
    ['number column with a string', { computed: 'eventCount', op: 'eq', value: 'x' }, 'condition.value'],
    ['date column with a word', { computed: 'lastSeen', op: 'lt', value: 'yesterday' }, 'condition.value'],
    ['negative daysAgo', { computed: 'lastSeen', op: 'lt', value: { daysAgo: -1 } }, 'condition.value.daysAgo'],
    ['quote in a trait name', { trait: 'a"b', op: 'exists' }, 'condition.trait'],
    ['bad property filter op', { or: [{ event: 'A', where: [{ property: 'p', op: 'nope', value: 1 }] }] }, 'condition.or[0].where[0].op'],
    ['where not an array', { event: 'A', where: {} }, 'condition.where'],
    ['zero days', { event: 'A', within: { days: 0 } }, 'condition.within.days'],
    ['days and hours', { event: 'A', within: { days: 1, hours: 2 } }, 'condition.within.hours'],
    ['bad from date', { event: 'A', within: { from: 'last week' } }, 'condition.within.from'],
    ['from after to', { event: 'A', within: { from: '2026-02-01', to: '2026-01-01' } }, 'condition.within.to'],
    ['fractional count', { event: 'A', count: { gte: 1.5 } }, 'condition.count.gte'],
    ['eq with gte', { event: 'A', count: { eq: 1, gte: 1 } }, 'condition.count.eq'],
    ['empty event name', { event: '' }, 'condition.event'],
    ['bad segment key', { not: { segment: 'Has Spaces' } }, 'condition.not.segment'],
    ['too deep', JSON.parse('{"not":'.repeat(14) + '{"segment":"a"}' + '}'.repeat(14)), 'condition' + '.not'.repeat(13)],
  ])('%s', (_label, condition, path) => {
    const result = validateCondition(condition);
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.path).toBe(path);
      expect(result.message.length).toBeGreaterThan(5);
    }
  });
});

import { describe as group, expect, it } from 'vitest';
import { describe, fromCondition, newEvent, newGroup, newTrait, nodeAt, removeAt, toCondition, type RuleNode } from './model';

// Conditions in the canonical form the builder writes; each must survive a round trip unchanged.
const ROUND_TRIPS: [string, unknown][] = [
  ['trait eq text', { and: [{ trait: 'plan', op: 'eq', value: 'pro' }] }],
  ['trait neq number', { and: [{ trait: 'age', op: 'neq', value: 30 }] }],
  ['trait gt / gte / lt / lte', { and: ['gt', 'gte', 'lt', 'lte'].map((op) => ({ trait: 'score', op, value: 2.5 })) }],
  ['trait in list', { and: [{ trait: 'country', op: 'in', value: ['ID', 'SG'] }] }],
  ['trait in numbers', { and: [{ trait: 'tier', op: 'in', value: [1, 2] }] }],
  ['trait contains / startsWith', { or: [{ trait: 'email', op: 'contains', value: '@acme' }, { trait: 'name', op: 'startsWith', value: 'An' }] }],
  ['trait exists / notExists', { and: [{ trait: 'phone', op: 'exists' }, { trait: 'email', op: 'notExists' }] }],
  ['trait boolean', { and: [{ trait: 'vip', op: 'eq', value: true }] }],
  ['computed with daysAgo', { and: [{ computed: 'lastSeen', op: 'lt', value: { daysAgo: 30 } }] }],
  ['computed number', { and: [{ computed: 'revenue', op: 'gte', value: 100 }] }],
  ['event ever, once', { and: [{ event: 'Signed Up' }] }],
  ['any event in hours', { and: [{ event: '*', within: { hours: 24 } }] }],
  [
    'event with filters, window and count',
    { and: [{ event: 'Order Completed', where: [{ property: 'category', op: 'eq', value: 'spicy' }, { property: 'total', op: 'gt', value: 10 }], within: { days: 30 }, count: { gte: 3 } }] },
  ],
  ['event between dates, exact count', { and: [{ event: 'Paid', within: { from: '2026-01-01', to: '2026-02-01' }, count: { eq: 2 } }] }],
  ['event open-ended date, at most', { and: [{ event: 'Paid', within: { from: '2026-01-01' }, count: { lte: 1 } }] }],
  ['not event (did not)', { and: [{ event: 'Added To Cart', within: { days: 7 } }, { not: { event: 'Order Completed', within: { days: 2 } } }] }],
  ['segment ref and not segment', { and: [{ segment: 'vip' }, { not: { segment: 'churned' } }] }],
  ['nested groups with not', { or: [{ and: [{ trait: 'plan', op: 'eq', value: 'pro' }, { trait: 'country', op: 'eq', value: 'ID' }] }, { not: { or: [{ segment: 'a' }, { segment: 'b' }] } }] }],
];

group('toCondition(fromCondition(c))', () => {
  it.each(ROUND_TRIPS)('keeps %s', (_label, condition) => {
    const { condition: out, problems } = toCondition(fromCondition(condition));
    expect(problems).toEqual([]);
    expect(out).toEqual(condition);
  });

  it.each([
    ['a bare rule is wrapped in an AND group', { segment: 'vip' }, { and: [{ segment: 'vip' }] }],
    ['a negated root group is wrapped', { not: { and: [{ segment: 'x' }] } }, { and: [{ not: { and: [{ segment: 'x' }] } }] }],
    ['double negation stays two nots', { not: { not: { segment: 'x' } } }, { and: [{ not: { and: [{ not: { segment: 'x' } }] } }] }],
    ['count gte 1 is the default and is left out', { event: 'A', count: { gte: 1 } }, { and: [{ event: 'A' }] }],
  ])('normalises: %s', (_label, input, expected) => {
    expect(toCondition(fromCondition(input)).condition).toEqual(expected);
  });
});

const trait = (patch: Partial<RuleNode & { kind: 'trait' }>, cmp = {}) => ({ ...newTrait(), ...patch, cmp: { ...newTrait().cmp, ...cmp } });

group('toCondition problems', () => {
  it.each<[string, RuleNode, string[]]>([
    ['empty root group', newGroup(), ['Add at least one rule to this group']],
    ['unnamed trait', newGroup('and', [trait({}, { value: 'x' })]), ['Name the trait']],
    ['missing value', newGroup('and', [trait({ name: 'plan' })]), ['Enter a value']],
    ['not a number', newGroup('and', [trait({ name: 'age' }, { kind: 'number', value: 'ten' })]), ['Enter a number']],
    ['bad days ago', newGroup('and', [trait({ name: 'd' }, { kind: 'daysAgo', value: '1.5' })]), ['Enter a whole number of days']],
    ['empty list', newGroup('and', [trait({ name: 'c' }, { op: 'in', value: ' , ' })]), ['Enter at least one value']],
    ['boolean unset', newGroup('and', [trait({ name: 'vip' }, { kind: 'boolean', value: '' })]), ['Choose true or false']],
    ['unnamed event', newGroup('and', [newEvent()]), ['Name the event (or * for any event)']],
    ['bad window and count', newGroup('and', [{ ...newEvent(), event: 'A', window: { type: 'days', amount: '0', from: '', to: '' }, count: { op: 'gte', n: 'x' } }]), ['Enter a whole number of days', 'Enter a whole number of times']],
    ['between without dates', newGroup('and', [{ ...newEvent(), event: 'A', window: { type: 'between', amount: '', from: '', to: '' } }]), ['Enter a start date, an end date or both']],
    ['unnamed property', newGroup('and', [{ ...newEvent(), event: 'A', where: [{ property: '', op: 'exists', kind: 'text', value: '' }] }]), ['Name the property of each filter']],
    ['no segment chosen', newGroup('and', [{ kind: 'segment', negate: false, key: '' }]), ['Choose a segment']],
  ])('%s', (_label, root, messages) => {
    expect(toCondition(root).problems.map((p) => p.message)).toEqual(messages);
  });

  it('points at the node with the problem', () => {
    const root = newGroup('and', [{ ...newEvent(), event: 'A' }, newGroup('or', [{ ...newEvent(), event: 'B' }, newEvent()])]);
    expect(toCondition(root).problems).toEqual([{ path: [1, 1], message: 'Name the event (or * for any event)' }]);
  });
});

group('tree edits', () => {
  it('finds and removes nodes by path', () => {
    const root = fromCondition({ and: [{ segment: 'a' }, { or: [{ segment: 'b' }, { segment: 'c' }] }] });
    expect(nodeAt(root, [1, 1])).toMatchObject({ kind: 'segment', key: 'c' });
    removeAt(root, [1, 0]);
    expect(toCondition(root).condition).toEqual({ and: [{ segment: 'a' }, { or: [{ segment: 'c' }] }] });
    expect(nodeAt(root, [5])).toBeUndefined();
  });
});

group('describe', () => {
  it.each([
    [{ and: [{ trait: 'plan', op: 'eq', value: 'pro' }, { computed: 'lastSeen', op: 'lt', value: { daysAgo: 30 } }] }, 'plan is pro AND computed lastSeen is less than 30 days ago'],
    [
      { and: [{ event: 'Added To Cart', within: { days: 7 } }, { not: { event: 'Order Completed', within: { days: 2 } } }] },
      'did Added To Cart in the last 7 days AND NOT (did Order Completed in the last 2 days)',
    ],
    [{ or: [{ event: 'Order Completed', where: [{ property: 'category', op: 'eq', value: 'spicy' }], count: { gte: 3 } }, { segment: 'vip' }] }, 'did Order Completed where category is spicy ≥ 3 times OR in segment vip'],
  ])('reads %j as a sentence', (condition, text) => {
    expect(describe(fromCondition(condition))).toBe(text);
  });
});

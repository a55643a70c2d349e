import { describe, expect, it } from 'vitest';
import { evaluationOrder, findCycle, segmentRefs } from './graph';

describe('findCycle', () => {
  it.each([
    ['no references', 'a', [], [], null],
    ['a chain', 'a', ['b'], [{ key: 'b', dependsOn: ['c'] }, { key: 'c', dependsOn: [] }], null],
    ['a two-cycle', 'a', ['b'], [{ key: 'b', dependsOn: ['a'] }], ['a', 'b', 'a']],
    ['a longer cycle', 'a', ['b'], [{ key: 'b', dependsOn: ['c'] }, { key: 'c', dependsOn: ['a'] }], ['a', 'b', 'c', 'a']],
    ['a replaced definition breaks an old cycle', 'a', [], [{ key: 'a', dependsOn: ['b'] }, { key: 'b', dependsOn: ['a'] }], null],
  ])('%s', (_label, key, deps, others, cycle) => {
    expect(findCycle(key, deps, others)).toEqual(cycle);
  });
});

describe('evaluationOrder', () => {
  const segments = [
    { key: 'vip', dependsOn: ['buyers', 'active'] },
    { key: 'buyers', dependsOn: [] },
    { key: 'active', dependsOn: [] },
    { key: 'lapsed_vip', dependsOn: ['vip'] },
    { key: 'other', dependsOn: [] },
  ];
  it.each([
    ['all, dependencies first', undefined, ['active', 'buyers', 'vip', 'lapsed_vip', 'other']],
    ['a root and its dependents', new Set(['buyers']), ['buyers', 'vip', 'lapsed_vip']],
    ['a leaf alone', new Set(['lapsed_vip']), ['lapsed_vip']],
    ['an unknown root', new Set(['nope']), []],
  ])('%s', (_label, roots, order) => {
    expect(evaluationOrder(segments, roots)).toEqual(order);
  });
});

it('lists segment references with their paths', () => {
  expect(segmentRefs({ and: [{ segment: 'a' }, { not: { or: [{ trait: 'x', op: 'exists' }, { segment: 'b' }] } }] })).toEqual([
    { key: 'a', path: 'condition.and[0].segment' },
    { key: 'b', path: 'condition.and[1].not.or[1].segment' },
  ]);
});

import { describe, expect, it } from 'vitest';
import { runPlan, ev } from './test-fixtures';
import { planSplit, subtreeOf } from './split';

describe('subtreeOf', () => {
  const tree = [
    { id: 'S', mergedInto: null },
    { id: 'A', mergedInto: 'S' },
    { id: 'B', mergedInto: 'A' },
    { id: 'C', mergedInto: 'S' },
    { id: 'D', mergedInto: 'B' },
  ];
  it.each([
    ['A', ['A', 'B', 'D']],
    ['C', ['C']],
    ['B', ['B', 'D']],
    ['S', ['A', 'B', 'C', 'D', 'S']],
  ])('subtree of %s', (root, expected) => {
    expect([...subtreeOf(tree, root)].sort()).toEqual(expected);
  });
});

describe('split after a wrong merge', () => {
  it('gives each side back its own traits and computed traits, replayed from its events', () => {
    // A shared kiosk's anonymous id was identified as two people through an email typo: merged wrongly.
    const ana = [ev({ type: 'identify', event: null, userId: 'ana', traits: { name: 'Ana', plan: 'pro' }, t: 100 }), ev({ type: 'track', event: 'Order Completed', userId: 'ana', properties: { revenue: 30 }, t: 150 })];
    const bob = [ev({ type: 'identify', event: null, anonymousId: 'k1', traits: { name: 'Bob' }, t: 200 }), ev({ type: 'track', event: 'Viewed', anonymousId: 'k1', t: 300 })];
    const merged = runPlan([{ id: 'S', ids: ['user_id:ana'] }, { id: 'A', ids: ['anonymous_id:k1'] }], [ev({ type: 'identify', event: null, userId: 'ana', anonymousId: 'k1', t: 400 })]);
    expect(merged.merges).toHaveLength(1);

    const split = planSplit({
      survivor: { id: 'S', createdAt: 1 },
      absorbed: { id: 'A', createdAt: 2 },
      tree: [{ id: 'S', mergedInto: null }, { id: 'A', mergedInto: 'S' }],
      eventsByProfile: new Map([['S', ana], ['A', bob]]),
      now: 999,
    });
    expect(split.moved).toEqual(['A']);
    expect(split.survivor).toMatchObject({ id: 'S', traits: { name: 'Ana', plan: 'pro' }, eventCount: 2, revenue: 30, firstSeen: 100, lastSeen: 150, mergeCount: 0 });
    expect(split.survivor.computed.eventCounts).toEqual({ 'Order Completed': 1 });
    expect(split.restored).toMatchObject({ id: 'A', canonicalId: 'A', mergedInto: null, traits: { name: 'Bob' }, eventCount: 2, revenue: 0, firstSeen: 200, lastSeen: 300 });
  });
});

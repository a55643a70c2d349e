import { describe, expect, it } from 'vitest';
import { objectIndexRowsOf, type IndexedEvent } from './index-rows';

const ev = (profileId: string | null, timestamp: number): IndexedEvent => ({ profileId, timestamp });

describe('archive index rows of an object', () => {
  it.each<[string, IndexedEvent[], { profileId: string; minTs: number; maxTs: number; lines: number[] }[]]>([
    ['no events', [], []],
    ['one event', [ev('p1', 5)], [{ profileId: 'p1', minTs: 5, maxTs: 5, lines: [0] }]],
    ['one row per profile, lines ascending', [ev('p1', 5), ev('p2', 3), ev('p1', 1)], [
      { profileId: 'p1', minTs: 1, maxTs: 5, lines: [0, 2] },
      { profileId: 'p2', minTs: 3, maxTs: 3, lines: [1] },
    ]],
    ['events without a profile keep their line but get no row', [ev(null, 1), ev('p1', 9), ev(null, 2)], [{ profileId: 'p1', minTs: 9, maxTs: 9, lines: [1] }]],
    ['late events widen the bounds', [ev('p1', 7), ev('p1', 2), ev('p1', 11)], [{ profileId: 'p1', minTs: 2, maxTs: 11, lines: [0, 1, 2] }]],
  ])('%s', (_, events, expected) => {
    const rows = objectIndexRowsOf('dt=2026-12-06/hour=09/1-g.ndjson.gz', events);
    expect(rows).toEqual(expected.map((r) => ({ ...r, object: 'dt=2026-12-06/hour=09/1-g.ndjson.gz', objectLines: events.length })));
  });
});

import type { IndexRow } from '../store/archive-index';

/** One event of an archive object as its index needs it: the profile it was stored under (null: none) and its event time. */
export interface IndexedEvent {
  profileId: string | null;
  timestamp: number;
}

/**
 * The per-person index rows of one archive object, from its events in line order: one row per
 * profile with its lines (ascending) and event-time bounds. Events stored without a profile are
 * not indexed. The same rows the SQL join over the stored events gives (store/archive-index.ts),
 * made where the resolver already knows each event's profile.
 *
 * @example
 * objectIndexRowsOf('dt=2026-12-06/hour=09/1-g.ndjson.gz', [{ profileId: 'p1', timestamp: 5 }, { profileId: 'p2', timestamp: 3 }, { profileId: 'p1', timestamp: 1 }])
 * // -> [{ profileId: 'p1', minTs: 1, maxTs: 5, lines: [0, 2], ... }, { profileId: 'p2', minTs: 3, maxTs: 3, lines: [1], ... }]
 */
export function objectIndexRowsOf(object: string, events: readonly IndexedEvent[]): IndexRow[] {
  const rows = new Map<string, IndexRow>();
  events.forEach(({ profileId, timestamp }, line) => {
    if (profileId === null) return;
    const row = rows.get(profileId);
    if (!row) {
      rows.set(profileId, { profileId, object, minTs: timestamp, maxTs: timestamp, lines: [line], objectLines: events.length });
      return;
    }
    row.minTs = Math.min(row.minTs, timestamp);
    row.maxTs = Math.max(row.maxTs, timestamp);
    row.lines.push(line);
  });
  return [...rows.values()];
}

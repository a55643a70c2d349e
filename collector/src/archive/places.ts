import type { StoredEvent } from '../ingest/normalise';
import { workspacePrefix } from './layout';
import type { PlannedObject } from './objects';

/**
 * Where the R2 archive holds an event, kept on its D1 row (migration 0014) so that retention can
 * index it when it leaves D1, and ingest writes no index.
 */
export interface ArchivePlace {
  /** The object's key after `events/{workspace}/` (what index rows keep). */
  object: string;
  /** 0-based line in the object. */
  line: number;
  /** The object's line count. */
  lines: number;
}

/** One object's events as a statement that sets their places needs them: messageIds in line order. */
export interface ObjectLines {
  object: string;
  messageIds: string[];
}

/** An archive key without its `events/{workspace}/` prefix (what index rows and places keep). */
export const indexedObject = (workspaceId: string, key: string) => key.slice(workspacePrefix(workspaceId).length);

/**
 * The place of every event of a batch's planned archive objects.
 *
 * @example
 * archivePlaces('ws_1', [{ key: 'events/ws_1/dt=2026-12-06/hour=09/1-g.ndjson.gz', events: [e1, e2] }]).get(e2)
 * // -> { object: 'dt=2026-12-06/hour=09/1-g.ndjson.gz', line: 1, lines: 2 }
 */
export function archivePlaces(workspaceId: string, objects: readonly PlannedObject[]): Map<StoredEvent, ArchivePlace> {
  const places = new Map<StoredEvent, ArchivePlace>();
  for (const { key, events } of objects) {
    const object = indexedObject(workspaceId, key);
    events.forEach((e, line) => places.set(e, { object, line, lines: events.length }));
  }
  return places;
}

/**
 * The planned objects as messageIds in line order (for rows stored by an earlier attempt, whose
 * places a replay sets again).
 *
 * @example
 * objectLinesOf('ws_1', [{ key: 'events/ws_1/dt=2026-12-06/hour=09/1-g.ndjson.gz', events: [e1] }])
 * // -> [{ object: 'dt=2026-12-06/hour=09/1-g.ndjson.gz', messageIds: ['m1'] }]
 */
export function objectLinesOf(workspaceId: string, objects: readonly PlannedObject[]): ObjectLines[] {
  return objects.map(({ key, events }) => ({ object: indexedObject(workspaceId, key), messageIds: events.map((e) => e.messageId) }));
}

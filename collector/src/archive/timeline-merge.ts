import type { TimelineEvent, TimelinePosition } from '../store/profiles';
import type { ArchiveLine } from './line';

/**
 * Timeline order: newest first by event time, then by messageId (descending) among events of the
 * same time. D1 sorts TEXT bytewise and JavaScript by UTF-16 units; they agree except between
 * characters past U+FFFF and U+E000-U+FFFF, which messageIds do not mix in practice.
 *
 * @example
 * [b, a].sort(newestFirst)
 */
export function newestFirst(a: TimelinePosition, b: TimelinePosition): number {
  if (a.timestamp !== b.timestamp) return b.timestamp - a.timestamp;
  return a.messageId < b.messageId ? 1 : a.messageId > b.messageId ? -1 : 0;
}

/** Whether `a` comes after `b` in a timeline (is older): what a cursor `b` pages to. */
export const isOlder = (a: TimelinePosition, b: TimelinePosition) => newestFirst(a, b) > 0;

/** One key per timeline position (an event stored twice, hot and cold, has one). */
export const positionKey = (p: TimelinePosition) => `${p.timestamp}\u0000${p.messageId}`;

/**
 * The first `take` events of a timeline made of D1's events (`hot`) and the archive's (`cold`),
 * each already in timeline order: an event both hold (in D1 until retention deletes it) once, D1's copy.
 *
 * @example
 * mergeTimeline(hotEvents, coldEvents, 51)
 */
export function mergeTimeline(hot: readonly TimelineEvent[], cold: readonly TimelineEvent[], take: number): TimelineEvent[] {
  const seen = new Set(hot.map(positionKey));
  const merged = [...hot];
  for (const e of cold) {
    const key = positionKey(e);
    if (seen.has(key)) continue;
    seen.add(key);
    merged.push(e);
  }
  return merged.sort(newestFirst).slice(0, take);
}

/** An archived event as the timeline shows it (the same fields D1's copy gives). */
export function timelineEventOf(line: ArchiveLine): TimelineEvent {
  return {
    messageId: line.messageId,
    type: line.type,
    event: line.event ?? null,
    name: line.name ?? null,
    timestamp: Date.parse(line.timestamp),
    properties: line.properties ?? null,
    traits: line.traits ?? null,
    context: line.context ?? null,
  };
}

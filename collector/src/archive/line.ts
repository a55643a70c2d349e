import type { JsonObject } from '../../../sdk/src/contract';
import type { StoredEvent } from '../ingest/normalise';

/**
 * One archived (and exported) event: a Segment-spec message with times as ISO strings. Fields that
 * are null are left out. `timestamp` is the event time after clock-skew correction, and
 * `originalTimestamp` the sender's own, as in Segment's warehouse schema.
 */
export interface ArchiveLine {
  messageId: string;
  type: StoredEvent['type'];
  timestamp: string;
  receivedAt: string;
  sentAt?: string;
  originalTimestamp?: string;
  userId?: string;
  anonymousId?: string;
  event?: string;
  name?: string;
  groupId?: string;
  previousId?: string;
  properties?: JsonObject;
  traits?: JsonObject;
  context: JsonObject;
  integrations?: JsonObject;
}

// The events of a request share their receive time, and often their timestamps: each distinct time
// of a batch is formatted once (bounded, cleared when full).
const isoCache = new Map<number, string>();
const iso = (ms: number) => {
  let text = isoCache.get(ms);
  if (text === undefined) {
    if (isoCache.size >= 10_000) isoCache.clear();
    isoCache.set(ms, (text = new Date(ms).toISOString()));
  }
  return text;
};
const ms = (text: string | undefined) => (text === undefined ? null : Date.parse(text));

/**
 * The archive line of a stored event. `fromArchiveLine` gives the same event back, so a rebuild
 * feeds the resolver exactly what ingest fed it.
 *
 * @example
 * toArchiveLine(event) // -> { messageId: 'm1', type: 'track', event: 'Signed Up', timestamp: '2026-12-06T09:00:00.000Z', ... }
 */
export function toArchiveLine(e: StoredEvent): ArchiveLine {
  const line: ArchiveLine = { messageId: e.messageId, type: e.type, timestamp: iso(e.timestamp), receivedAt: iso(e.receivedAt), context: e.context };
  if (e.sentAt !== null) line.sentAt = iso(e.sentAt);
  if (e.originalTimestamp !== null) line.originalTimestamp = iso(e.originalTimestamp);
  if (e.userId !== null) line.userId = e.userId;
  if (e.anonymousId !== null) line.anonymousId = e.anonymousId;
  if (e.event !== null) line.event = e.event;
  if (e.name !== null) line.name = e.name;
  if (e.groupId !== null) line.groupId = e.groupId;
  if (e.previousId !== null) line.previousId = e.previousId;
  if (e.properties !== null) line.properties = e.properties;
  if (e.traits !== null) line.traits = e.traits;
  if (e.integrations !== null) line.integrations = e.integrations;
  return line;
}

/**
 * The stored event an archive line was written from.
 *
 * @example
 * fromArchiveLine(toArchiveLine(event)) // deep-equals event
 */
export function fromArchiveLine(l: ArchiveLine): StoredEvent {
  return {
    messageId: l.messageId,
    type: l.type,
    event: l.event ?? null,
    name: l.name ?? null,
    anonymousId: l.anonymousId ?? null,
    userId: l.userId ?? null,
    groupId: l.groupId ?? null,
    previousId: l.previousId ?? null,
    timestamp: Date.parse(l.timestamp),
    receivedAt: Date.parse(l.receivedAt),
    sentAt: ms(l.sentAt),
    originalTimestamp: ms(l.originalTimestamp),
    properties: l.properties ?? null,
    traits: l.traits ?? null,
    context: l.context ?? {},
    integrations: l.integrations ?? null,
  };
}

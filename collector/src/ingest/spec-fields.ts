import type { StoredEvent } from './normalise';

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/**
 * A stored event under the Segment Spec's field names, times in ISO 8601 and every field present
 * (null where the message had none). `timestamp` is the collector's clock-corrected time. The
 * person export shows it as is; webhooks leave the empty fields out (map-webhook.ts).
 *
 * @example
 * specFields(stored) // { messageId: 'm1', type: 'track', event: 'Order Completed', name: null, … }
 */
export function specFields(e: StoredEvent) {
  return {
    messageId: e.messageId,
    type: e.type,
    event: e.event,
    name: e.name,
    userId: e.userId,
    anonymousId: e.anonymousId,
    groupId: e.groupId,
    previousId: e.previousId,
    timestamp: iso(e.timestamp),
    originalTimestamp: iso(e.originalTimestamp),
    sentAt: iso(e.sentAt),
    receivedAt: iso(e.receivedAt),
    properties: e.properties,
    traits: e.traits,
    context: e.context,
    integrations: e.integrations,
  };
}

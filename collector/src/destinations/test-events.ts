import type { StoredEvent } from '../ingest/normalise';
import type { ForwardEvent } from './outbound';

/** A stored event for mapping tests: a track at 2026-01-01T00:00:00Z unless told otherwise. */
export function stored(fields: Partial<StoredEvent>): StoredEvent {
  return {
    messageId: 'm-1',
    type: 'track',
    event: null,
    name: null,
    anonymousId: 'anon-1',
    userId: null,
    groupId: null,
    previousId: null,
    timestamp: Date.UTC(2026, 0, 1),
    receivedAt: Date.UTC(2026, 0, 1),
    sentAt: null,
    originalTimestamp: null,
    properties: null,
    traits: null,
    context: {},
    integrations: null,
    ...fields,
  };
}

/** The same event on its way to a destination, with what the profile knows of the person. */
export const forward = (deliveryId: number, event: StoredEvent, person: Partial<ForwardEvent['person']> = {}): ForwardEvent => ({
  deliveryId,
  event,
  person: { email: null, phone: null, ...person },
});

import { describe, expect, it } from 'vitest';
import type { StoredEvent } from '../ingest/normalise';
import { fromInboxText, inboxText } from './events';

const base: StoredEvent = {
  messageId: 'm1',
  type: 'track',
  event: 'Signed Up',
  name: null,
  anonymousId: 'a1',
  userId: null,
  groupId: null,
  previousId: null,
  timestamp: 1_765_000_000_000,
  receivedAt: 1_765_000_000_100,
  sentAt: null,
  originalTimestamp: null,
  properties: { plan: 'pro', nested: { quote: 'say "hi"\n' } },
  traits: null,
  context: { library: { name: 'satu.js' } },
  integrations: null,
};

describe('inbox text of an event', () => {
  it.each<[string, StoredEvent]>([
    ['a track event', base],
    ['an identify with every field set', { ...base, type: 'identify', event: null, name: 'n', userId: 'u1', groupId: 'g', previousId: 'p', sentAt: 1, originalTimestamp: 2, traits: { email: 'a@b.c' }, integrations: { All: false } }],
    ['unicode and an empty context', { ...base, messageId: 'ü-✓', properties: null, context: {} }],
  ])('reads back %s as the same event', (_, event) => {
    expect(fromInboxText(inboxText(event))).toEqual(event);
  });

  it('reads rows appended before the array layout (the event as an object)', () => {
    expect(fromInboxText(JSON.stringify(base))).toEqual(base);
  });
});

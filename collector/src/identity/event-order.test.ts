import { describe, expect, it } from 'vitest';
import type { StoredEvent } from '../ingest/normalise';
import { inEventOrder } from './event-order';

const ev = (messageId: string, timestamp: number, receivedAt = 0) => ({ messageId, timestamp, receivedAt }) as StoredEvent;

describe('inEventOrder', () => {
  it.each([
    { name: 'by event time', given: [ev('b', 2), ev('a', 1)], order: ['a', 'b'] },
    { name: 'equal times: by receive time', given: [ev('b', 1, 9), ev('a', 1, 5)], order: ['a', 'b'] },
    { name: 'equal both: as they arrived (import rows keep file order)', given: [ev('z', 1, 1), ev('a', 1, 1), ev('m', 1, 1)], order: ['z', 'a', 'm'] },
  ])('$name', ({ given, order }) => {
    const before = given.map((e) => e.messageId);
    expect(inEventOrder(given).map((e) => e.messageId)).toEqual(order);
    expect(given.map((e) => e.messageId)).toEqual(before); // the caller's array is left as it was
  });
});

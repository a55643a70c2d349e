import { describe, expect, it } from 'vitest';
import { MAX_BATCH_CHARS, MAX_BATCH_EVENTS, retryAfterFailureMs, takeBatch } from './cycle-policy';

const rows = (n: number, size = 10) => Array.from({ length: n }, (_, i) => ({ seq: i + 1, body: 'x'.repeat(size) }));

describe('takeBatch', () => {
  it.each([
    { name: 'nothing waiting', given: rows(0), taken: 0 },
    { name: 'fewer than a batch: all', given: rows(7), taken: 7 },
    { name: 'more than a batch: MAX_BATCH_EVENTS', given: rows(MAX_BATCH_EVENTS + 5), taken: MAX_BATCH_EVENTS },
    { name: 'large events: as many as fit MAX_BATCH_CHARS', given: rows(10, MAX_BATCH_CHARS / 4), taken: 4 },
    { name: 'one event larger than the char budget still goes alone', given: rows(3, MAX_BATCH_CHARS + 1), taken: 1 },
  ])('$name', ({ given, taken }) => {
    const batch = takeBatch(given);
    expect(batch).toHaveLength(taken);
    expect(batch.map((r) => r.seq)).toEqual(given.slice(0, taken).map((r) => r.seq)); // oldest first, in order
  });
});

describe('retryAfterFailureMs', () => {
  it.each([
    [1, 100],
    [2, 200],
    [5, 1600],
    [9, 25_600],
    [10, 30_000],
    [50, 30_000],
  ])('attempt %i waits %i ms', (attempt, ms) => expect(retryAfterFailureMs(attempt)).toBe(ms));
});

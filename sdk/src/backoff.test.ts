import { describe, expect, it } from 'vitest';
import { backoff, parseRetryAfter } from './backoff';

describe('backoff', () => {
  it.each([
    // attempt, random, retryAfter, expected
    [1, 0, 0, 500],
    [1, 1, 0, 1000],
    [2, 0.5, 0, 1500],
    [3, 0.5, 0, 3000],
    [10, 1, 0, 300_000], // 512 s capped at 5 min
    [40, 0, 0, 150_000], // huge attempt counts stay finite and capped
    [1, 0, 5000, 5000], // Retry-After is a floor
    [5, 1, 5000, 16_000], // ...not a ceiling
  ])('attempt %i, random %f, Retry-After %i ms -> %i ms', (attempt, random, retryAfter, expected) => {
    expect(backoff(attempt, random, retryAfter)).toBe(expected);
  });

  it('spreads clients over half the window (jitter)', () => {
    const delays = [0, 0.25, 0.5, 0.75, 1].map((r) => backoff(4, r));
    expect(delays).toEqual([4000, 5000, 6000, 7000, 8000]);
  });
});

describe('parseRetryAfter', () => {
  const now = Date.parse('2026-01-01T00:00:00Z');
  it.each([
    [null, 0],
    ['', 0],
    ['5', 5000],
    ['0', 0],
    ['Thu, 01 Jan 2026 00:00:30 GMT', 30_000],
    ['Wed, 31 Dec 2025 23:59:00 GMT', 0], // in the past
    ['soon', 0],
  ])('%s -> %i ms', (value, expected) => {
    expect(parseRetryAfter(value, now)).toBe(expected);
  });
});

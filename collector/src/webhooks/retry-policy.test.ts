import { describe, expect, it } from 'vitest';
import { backoffDelay, MAX_ATTEMPTS, nextDeliveryState } from './retry-policy';

const NOW = 1_000_000;

describe('backoffDelay', () => {
  it.each([
    [1, 0.5, 60_000],
    [2, 0.5, 120_000],
    [3, 0.5, 240_000],
    [9, 0.5, 256 * 60_000],
    [10, 0.5, 6 * 3_600_000],
    [1, 0, 48_000],
    [1, 0.999999, 72_000],
  ])('after %i failed attempts with random %f waits %i ms', (attempts, random, delay) => {
    expect(backoffDelay(attempts, random)).toBe(delay);
  });
});

describe('nextDeliveryState', () => {
  it.each([
    ['200 delivers', 0, { status: 200 }, { status: 'delivered', attempts: 1, deliveredAt: NOW }],
    ['204 delivers', 3, { status: 204 }, { status: 'delivered', attempts: 4, deliveredAt: NOW }],
    ['500 retries', 0, { status: 500 }, { status: 'pending', attempts: 1, nextAttemptAt: NOW + 60_000 }],
    ['a redirect is not a delivery', 0, { status: 301 }, { status: 'pending', attempts: 1, nextAttemptAt: NOW + 60_000 }],
    ['a network error retries', 1, { error: 'TypeError: fetch failed' }, { status: 'pending', attempts: 2, nextAttemptAt: NOW + 120_000 }],
    ['the last failed attempt dead-letters', MAX_ATTEMPTS - 1, { status: 503 }, { status: 'dead', attempts: MAX_ATTEMPTS }],
    ['success on the last attempt still delivers', MAX_ATTEMPTS - 1, { status: 200 }, { status: 'delivered', attempts: MAX_ATTEMPTS, deliveredAt: NOW }],
  ] as const)('%s', (_label, previous, result, state) => {
    expect(nextDeliveryState(previous, result, NOW, 0.5)).toEqual(state);
  });
});

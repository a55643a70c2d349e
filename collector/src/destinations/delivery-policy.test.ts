import { describe, expect, it } from 'vitest';
import { MAX_ATTEMPTS, nextForwardState, parseRetryAfter, verdictOf } from './delivery-policy';
import { settle } from './send';

const NOW = Date.UTC(2026, 0, 1);

describe('verdictOf', () => {
  it.each([
    [{ status: 200 }, 'ok'],
    [{ status: 204 }, 'ok'],
    [{ status: 500 }, 'retry'],
    [{ status: 503 }, 'retry'],
    [{ status: 408 }, 'retry'],
    [{ status: 429 }, 'rateLimited'],
    [{ status: 400 }, 'drop'],
    [{ status: 401 }, 'drop'],
    [{ status: 301 }, 'drop'],
    [{ error: 'TimeoutError: The operation was aborted due to timeout' }, 'retry'],
  ] as const)('%j is %s', (result, verdict) => expect(verdictOf(result)).toBe(verdict));
});

describe('nextForwardState', () => {
  it.each([
    ['2xx delivers', 0, { status: 200 }, { status: 'delivered', attempts: 1, deliveredAt: NOW }],
    ['5xx retries after a minute', 0, { status: 502 }, { status: 'pending', attempts: 1, nextAttemptAt: NOW + 60_000 }],
    ['a timeout retries', 2, { error: 'TimeoutError' }, { status: 'pending', attempts: 3, nextAttemptAt: NOW + 240_000 }],
    ['429 waits as long as Retry-After asks when that is longer', 0, { status: 429, retryAfterMs: 300_000 }, { status: 'pending', attempts: 1, nextAttemptAt: NOW + 300_000 }],
    ['429 keeps the backoff when Retry-After is shorter', 0, { status: 429, retryAfterMs: 1_000 }, { status: 'pending', attempts: 1, nextAttemptAt: NOW + 60_000 }],
    ['a 4xx is dead at once', 0, { status: 400 }, { status: 'dead', attempts: 1 }],
    ['the last failed attempt is dead', MAX_ATTEMPTS - 1, { status: 500 }, { status: 'dead', attempts: MAX_ATTEMPTS }],
  ] as const)('%s', (_label, previous, result, state) => expect(nextForwardState(previous, result, NOW, 0.5)).toEqual(state));
});

describe('parseRetryAfter', () => {
  it.each([
    ['120', 120_000],
    [new Date(NOW + 30_000).toUTCString(), 30_000],
    ['soon', undefined],
    [null, undefined],
  ])('%s -> %s', (header, ms) => expect(parseRetryAfter(header, NOW)).toBe(ms));
});

describe('settle', () => {
  const attempts = new Map([
    [1, 0],
    [2, 3],
    [3, 0],
  ]);
  it('applies one answer to every delivery of the call', () => {
    const states = settle({ deliveryIds: [1, 2] }, { result: { status: 500 }, body: 'down' }, attempts, NOW, 0.5);
    expect(states.map((s) => [s.id, s.state.status, s.state.attempts, s.error])).toEqual([
      [1, 'pending', 1, 'HTTP 500: down'],
      [2, 'pending', 4, 'HTTP 500: down'],
    ]);
  });
  it("reads Mixpanel's partial 400: refused records are dead, the rest delivered", () => {
    const body = JSON.stringify({ code: 400, num_records_imported: 2, failed_records: [{ index: 1, insert_id: 'x', field: 'properties.time', message: 'invalid' }] });
    const states = settle({ deliveryIds: [1, 2, 3], partialFailures: 'mixpanel' }, { result: { status: 400 }, body }, attempts, NOW, 0.5);
    expect(states.map((s) => [s.id, s.state.status, s.error])).toEqual([
      [1, 'delivered', null],
      [2, 'dead', 'Mixpanel refused the record: properties.time invalid'],
      [3, 'delivered', null],
    ]);
  });
  it('a Mixpanel 400 that is not JSON fails the whole call', () => {
    const states = settle({ deliveryIds: [1], partialFailures: 'mixpanel' }, { result: { status: 400 }, body: 'bad' }, attempts, NOW, 0.5);
    expect(states[0].state).toEqual({ status: 'dead', attempts: 1 });
  });
});

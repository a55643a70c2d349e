import { describe, expect, it } from 'vitest';
import { afterFailure, byteLength, nextBatch, nextFlushAt, sizeOf } from './batcher';
import type { Envelope } from './queue';

const env = (id: string, nextAttemptAt = 0, bytes = 30, attempts = 0): Envelope => ({
  id,
  attempts,
  nextAttemptAt,
  // A message whose JSON is exactly `bytes` long: {"type":"track","event":"xxx"} is 27 + n bytes.
  json: JSON.stringify({ type: 'track', event: 'x'.repeat(bytes - 27) }),
});
const ids = (batch: Envelope[]) => batch.map((e) => e.id);

describe('nextBatch', () => {
  const now = 10_000;
  it.each([
    ['nothing queued', [], false, 1000, [], []],
    ['all due, one batch', [env('a'), env('b')], false, 1000, [], ['a', 'b']],
    ['backing-off envelopes wait', [env('a', 20_000), env('b', 5_000)], false, 1000, [], ['b']],
    ['flush() ignores backoff', [env('a', 20_000), env('b', 5_000)], true, 1000, [], ['a', 'b']],
    ['in-flight envelopes are skipped', [env('a'), env('b')], false, 1000, ['a'], ['b']],
    ['stops at the byte limit, in order', [env('a', 0, 40), env('b', 0, 40), env('c', 0, 40)], false, 90, [], ['a', 'b']],
    ['exact fit', [env('a', 0, 44), env('b', 0, 44), env('c', 0, 44)], false, 90, [], ['a', 'b']],
    ['one over the limit travels alone', [env('a', 0, 200), env('b', 0, 40)], false, 90, [], ['a']],
    ['and does not join a batch', [env('a', 0, 40), env('b', 0, 200)], false, 90, [], ['a']],
  ])('%s', (_label, list, force, limit, skip, expected) => {
    expect(ids(nextBatch(list as Envelope[], now, force, limit, new Set(skip)))).toEqual(expected);
  });

  it('measures envelopes in UTF-8 bytes of their message plus a comma', () => {
    expect(sizeOf(env('a', 0, 40))).toBe(41);
    expect(sizeOf({ ...env('a'), json: JSON.stringify({ type: 'track', event: 'é' }) })).toBe(30);
  });

  it.each([
    ['ascii', 'abc', 3],
    ['accented', 'é', 2],
    ['emoji', '😀', 4],
  ])('byteLength counts UTF-8 bytes: %s', (_label, text, bytes) => {
    expect(byteLength(text)).toBe(bytes);
  });

  it('sends a whole backlog in batches under the limit, each envelope once', () => {
    let left = Array.from({ length: 300 }, (_, i) => env(String(i).padStart(3, '0'), 0, ((i * 7919) % 5000) + 30));
    const sent: string[] = [];
    while (left.length) {
      const batch = nextBatch(left, now, false, 60_000, new Set());
      expect(`[${batch.map((e) => e.json).join(',')}]`.length).toBeLessThanOrEqual(60_000 + 2);
      sent.push(...ids(batch));
      left = left.slice(batch.length);
    }
    expect(sent).toEqual(Array.from({ length: 300 }, (_, i) => String(i).padStart(3, '0')));
  });
});

describe('nextFlushAt', () => {
  it.each([
    ['first event: after the interval', 1, 20, 1000, 0, 2000],
    ['batch full: now', 20, 20, 1000, 0, 1000],
    ['over full: now', 50, 20, 1000, 0, 1000],
    ['paused by backoff: not before the pause ends', 20, 20, 1000, 9000, 9000],
    ['pause already over', 1, 20, 1000, 500, 2000],
  ])('%s', (_label, waiting, flushAt, interval, pausedUntil, expected) => {
    expect(nextFlushAt(1000, waiting, flushAt, interval, pausedUntil)).toBe(expected);
  });
});

describe('afterFailure', () => {
  it.each([
    ['first failure', 0, 0, 0.5, 1, 1750],
    ['third failure', 2, 0, 0.5, 3, 4000],
    ['Retry-After wins when longer', 0, 5000, 0.5, 1, 6000],
  ])('%s', (_label, attempts, retryAfter, random, expectedAttempts, expectedAt) => {
    const [e] = afterFailure([env('a', 0, 30, attempts)], 1000, retryAfter, random);
    expect(e).toMatchObject({ attempts: expectedAttempts, nextAttemptAt: expectedAt });
  });
});

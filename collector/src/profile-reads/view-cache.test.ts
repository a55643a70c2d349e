import { describe, expect, it } from 'vitest';
import { ViewCache, type CacheLimits } from './view-cache';

type Slots = { profile: string; timeline: string };
const LIMITS: CacheLimits = { ttlMs: 60_000, maxEntries: 100, maxBytes: 10_000 };
const cacheWith = (limits: Partial<CacheLimits> = {}) => new ViewCache<Slots>({ ...LIMITS, ...limits });

/** A miss that reads, lets `meanwhile` happen while its read is in flight, then tries to keep what it read. */
function missWith(cache: ViewCache<Slots>, ref: string, id: string, value: string, meanwhile: (c: ViewCache<Slots>) => void = () => {}) {
  const ticket = cache.begin();
  meanwhile(cache);
  const kept = cache.store(ticket, ref, id, 'profile', value, value.length, 0);
  cache.end(ticket);
  return kept;
}

describe('ViewCache', () => {
  it('answers a kept view by every ref that named it, and nothing for refs it never saw', () => {
    const cache = cacheWith();
    missWith(cache, 'user_id\u00001', 'prof_a', 'A');
    missWith(cache, 'email\u0000a@x', 'prof_a', 'A2');
    expect(cache.lookup('user_id\u00001', 'profile', 1)).toBe('A2');
    expect(cache.lookup('email\u0000a@x', 'profile', 1)).toBe('A2');
    expect(cache.lookup('user_id\u00002', 'profile', 1)).toBeUndefined();
    expect(cache.lookup('user_id\u00001', 'timeline', 1)).toBeUndefined();
  });

  it('drops a profile and every ref that pointed at it, and only those', () => {
    const cache = cacheWith();
    missWith(cache, 'id\u0000prof_loser', 'prof_winner', 'W');
    missWith(cache, 'user_id\u00001', 'prof_winner', 'W');
    missWith(cache, 'user_id\u00002', 'prof_other', 'O');
    cache.invalidate(['prof_winner']);
    expect(cache.lookup('id\u0000prof_loser', 'profile', 1)).toBeUndefined();
    expect(cache.lookup('user_id\u00001', 'profile', 1)).toBeUndefined();
    expect(cache.lookup('user_id\u00002', 'profile', 1)).toBe('O');
    expect(cache.size).toEqual({ entries: 1, refs: 1, bytes: 1 });
  });

  it.each([
    ['the same profile invalidated while the read was in flight', (c: ViewCache<Slots>) => c.invalidate(['prof_a']), false],
    ['everything invalidated while the read was in flight', (c: ViewCache<Slots>) => c.invalidateAll(), false],
    ['another profile invalidated meanwhile', (c: ViewCache<Slots>) => c.invalidate(['prof_b']), true],
    ['nothing happened meanwhile', () => {}, true],
  ])('keeps what a miss read only if no write raced it: %s', (_name, meanwhile, kept) => {
    const cache = cacheWith();
    expect(missWith(cache, 'user_id\u00001', 'prof_a', 'old', meanwhile)).toBe(kept);
    expect(cache.lookup('user_id\u00001', 'profile', 1)).toBe(kept ? 'old' : undefined);
  });

  it('keeps a read that began after the invalidation', () => {
    const cache = cacheWith();
    cache.invalidate(['prof_a']);
    cache.invalidateAll();
    expect(missWith(cache, 'user_id\u00001', 'prof_a', 'new')).toBe(true);
  });

  it('refuses a racing read even when another read in flight ended first', () => {
    const cache = cacheWith();
    const slow = cache.begin();
    const fast = cache.begin();
    cache.invalidate(['prof_a']);
    cache.end(fast);
    expect(cache.store(slow, 'user_id\u00001', 'prof_a', 'profile', 'old', 3, 0)).toBe(false);
    cache.end(slow);
  });

  it.each([
    [59_999, 'A'],
    [60_000, undefined],
  ])('serves an entry until its TTL: %i ms after storing -> %s', (age, expected) => {
    const cache = cacheWith();
    missWith(cache, 'user_id\u00001', 'prof_a', 'A');
    expect(cache.lookup('user_id\u00001', 'profile', age)).toBe(expected);
  });

  it.each([
    ['count', { maxEntries: 2 }],
    ['bytes', { maxBytes: 2 }],
  ])('evicts the least recently used profile past its %s limit', (_name, limits) => {
    const cache = cacheWith(limits);
    missWith(cache, 'r1', 'prof_1', '1');
    missWith(cache, 'r2', 'prof_2', '2');
    expect(cache.lookup('r1', 'profile', 1)).toBe('1');
    missWith(cache, 'r3', 'prof_3', '3');
    expect(cache.lookup('r2', 'profile', 1)).toBeUndefined();
    expect(cache.lookup('r1', 'profile', 1)).toBe('1');
    expect(cache.lookup('r3', 'profile', 1)).toBe('3');
    expect(cache.size.bytes).toBe(2);
  });

  it('moves a ref that now names another profile, so invalidating the old one leaves it', () => {
    const cache = cacheWith();
    missWith(cache, 'email\u0000a@x', 'prof_a', 'A');
    missWith(cache, 'id\u0000prof_a', 'prof_a', 'A');
    missWith(cache, 'email\u0000a@x', 'prof_b', 'B');
    cache.invalidate(['prof_a']);
    expect(cache.lookup('id\u0000prof_a', 'profile', 1)).toBeUndefined();
    expect(cache.lookup('email\u0000a@x', 'profile', 1)).toBe('B');
  });
});

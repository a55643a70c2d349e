import { describe, expect, it } from 'vitest';
import { BoundedMap } from './bounded-map';

describe('BoundedMap', () => {
  it.each([
    { name: 'count bound: the oldest goes', maxEntries: 2, maxBytes: 1e9, sets: [['a', 1], ['b', 1], ['c', 1]], kept: ['b', 'c'], bytes: 2 },
    { name: 'byte bound: as many oldest go as it takes', maxEntries: 10, maxBytes: 10, sets: [['a', 4], ['b', 4], ['c', 8]], kept: ['c'], bytes: 8 },
    { name: 'setting again makes an entry the newest and replaces its bytes', maxEntries: 2, maxBytes: 1e9, sets: [['a', 1], ['b', 1], ['a', 5], ['c', 1]], kept: ['a', 'c'], bytes: 6 },
    { name: 'one entry larger than the bound is still kept (the newest)', maxEntries: 10, maxBytes: 3, sets: [['a', 1], ['b', 9]], kept: ['b'], bytes: 9 },
  ])('$name', ({ maxEntries, maxBytes, sets, kept, bytes }) => {
    const m = new BoundedMap<string>(maxEntries, maxBytes);
    for (const [key, n] of sets as [string, number][]) m.set(key, key.toUpperCase(), n);
    expect(['a', 'b', 'c'].filter((k) => m.get(k) !== undefined)).toEqual(kept);
    expect(m.bytes).toBe(bytes);
    expect(m.size).toBe(kept.length);
  });

  it('deletes and counts by key prefix', () => {
    const m = new BoundedMap<number>(10, 1e9);
    for (const key of ['w1/a', 'w1/b', 'w2/a']) m.set(key, 1, 3);
    expect(m.countWithPrefix('w1/')).toBe(2);
    m.deleteWithPrefix('w1/');
    expect(m.size).toBe(1);
    expect(m.bytes).toBe(3);
    expect(m.get('w2/a')).toBe(1);
  });
});

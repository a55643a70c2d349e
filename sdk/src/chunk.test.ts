import { describe, expect, it } from 'vitest';
import { byteLength, chunk } from './chunk';

const id = (n: number) => n;

describe('chunk', () => {
  it.each([
    ['empty', [], 10, []],
    ['all fit', [3, 3, 3], 10, [[3, 3, 3]]],
    ['exact fit', [5, 5, 5], 10, [[5, 5], [5]]],
    ['splits in order', [4, 4, 4, 4, 4], 9, [[4, 4], [4, 4], [4]]],
    ['oversized item travels alone', [2, 50, 2], 10, [[2], [50], [2]]],
    ['oversized first', [50, 2, 2], 10, [[50], [2, 2]]],
  ])('%s', (_label, items, limit, expected) => {
    expect(chunk(items as number[], id, limit)).toEqual(expected);
  });

  it('keeps every group under the limit for many random sizes', () => {
    const sizes = Array.from({ length: 500 }, (_, i) => ((i * 7919) % 1000) + 1);
    const groups = chunk(sizes, id, 64_000);
    expect(groups.flat()).toEqual(sizes);
    for (const g of groups) expect(g.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(64_000);
  });

  it.each([
    ['ascii', 'abc', 3],
    ['accented', 'é', 2],
    ['emoji', '😀', 4],
  ])('byteLength counts UTF-8 bytes: %s', (_label, text, bytes) => {
    expect(byteLength(text)).toBe(bytes);
  });
});

import { describe, expect, it } from 'vitest';
import { barLayout, linePath, niceMax, sparkPath } from './chart-geometry';

describe('niceMax', () => {
  it.each([
    [0, 1],
    [-3, 1],
    [1, 1],
    [3, 5],
    [37, 50],
    [100, 100],
    [101, 200],
    [0.3, 0.5],
  ])('%d -> %d', (max, nice) => expect(niceMax(max)).toBeCloseTo(nice));
});

describe('barLayout', () => {
  it.each([
    ['empty days keep a 1-unit stub', [0, 5], 100, 50, [1, 50]],
    ['heights scale to the nice maximum', [1, 2], 100, 40, [20, 40]],
    ['a single bar', [3], 10, 10, [6]],
  ])('%s', (_label, values, width, height, heights) => {
    const { bars } = barLayout(values, width, height, 2);
    expect(bars.map((b) => Math.round(b.height))).toEqual(heights);
    bars.forEach((b) => {
      expect(b.y + b.height).toBeCloseTo(height);
      expect(b.x).toBeGreaterThanOrEqual(0);
      expect(b.x + b.width).toBeLessThanOrEqual(width + 1e-9);
    });
  });
});

describe('sparkPath', () => {
  it.each([
    ['nothing known', [null, null], ''],
    ['a line', [0, 10], 'M0 20L100 0'],
    ['a flat line sits in the middle', [4, 4, 4], 'M0 10L50 10L100 10'],
    ['gaps break the line', [0, null, 5, 10], 'M0 20h1M66.7 10L100 0'],
    ['one point', [7], 'M0 10h1'],
  ])('%s', (_label, values, path) => expect(sparkPath(values, 100, 20)).toBe(path));
});

describe('linePath', () => {
  it.each([
    ['slot centres, scaled to max', [0, 5], 100, 50, 10, 'M25 50L75 25'],
    ['nulls break the line', [2, null, 4, 8], 100, 8, 8, 'M12.5 6M62.5 4L87.5 0'],
    ['values above max are clipped to the top', [20], 10, 10, 10, 'M5 0'],
  ])('%s', (_label, values, width, height, max, path) => expect(linePath(values, width, height, max)).toBe(path));

  it('shares a scale with bars when given the same max', () => {
    const { bars } = barLayout([5], 100, 50, 2, 10);
    expect(bars[0]!.height).toBe(25);
    expect(linePath([5], 100, 50, 10)).toBe('M50 25');
  });
});

import { describe, expect, it } from 'vitest';
import { fileSafe, formatCount, formatShare, formatValue, messageLabel, timeAgo } from './format';

const NOW = Date.parse('2026-11-23T12:00:00Z');

describe('format', () => {
  it.each([
    [0, '0'],
    [9999, '9,999'],
    [12_345, '12.3K'],
    [2_500_000, '2.5M'],
  ])('formatCount(%d) = %s', (n, text) => expect(formatCount(n)).toBe(text));

  it.each([
    [0, '0%'],
    [1, '100%'],
    [0.4567, '45.7%'],
    [0.5, '50.0%'],
  ])('formatShare(%d) = %s', (x, text) => expect(formatShare(x)).toBe(text));

  it.each([
    ['2026-11-23T11:59:30Z', 'just now'],
    ['2026-11-23T11:55:00Z', '5 min ago'],
    ['2026-11-23T09:00:00Z', '3 h ago'],
    ['2026-11-20T12:00:00Z', '3 d ago'],
    ['2025-01-02T00:00:00Z', '2025-01-02'],
    ['2026-11-24T00:00:00Z', 'in the future'],
    ['not a date', ''],
  ])('timeAgo(%s) = %s', (iso, text) => expect(timeAgo(iso, NOW)).toBe(text));

  it.each([
    [{ type: 'track', event: 'Paid' }, 'Paid'],
    [{ type: 'page', name: 'Home' }, 'page: Home'],
    [{ type: 'page', name: null }, 'page'],
    [{ type: 'identify' }, 'identify'],
  ])('messageLabel(%j) = %s', (e, text) => expect(messageLabel(e)).toBe(text));

  it('shortens long values and file names', () => {
    expect(formatValue('x'.repeat(10), 5)).toBe('xxxx…');
    expect(formatValue({ a: 1, b: 'x' })).toBe('a: 1, b: x');
    expect(formatValue({ a: { b: 1 } })).toBe('{"a":{"b":1}}');
    expect(formatValue([1, 2])).toBe('[1,2]');
    expect(fileSafe('vip/../list')).toBe('vip-list');
    expect(fileSafe('///')).toBe('-');
  });
});

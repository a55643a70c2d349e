import { describe, expect, it } from 'vitest';
import { DAY_MS, dayWindow, foldEventCounts, intParam, sizeSeries } from './series';

const NOW = Date.UTC(2026, 10, 23, 15, 30);

describe('dayWindow', () => {
  it.each([
    [1, ['2026-11-23']],
    [3, ['2026-11-21', '2026-11-22', '2026-11-23']],
  ])('covers the last %i UTC days, today included', (days, dates) => {
    const w = dayWindow(days, NOW);
    expect(w.dates).toEqual(dates);
    expect(w.to).toBe(Date.UTC(2026, 10, 24));
    expect(w.to - w.from).toBe(days * DAY_MS);
  });
});

describe('intParam', () => {
  const opts = { min: 1, max: 365, fallback: 30 };
  it.each([
    [undefined, 30],
    ['', 30],
    ['1', 1],
    ['365', 365],
  ])('reads %j as %i', (raw, value) => expect(intParam(raw, 'days', opts)).toBe(value));

  it.each(['0', '366', '-3', '2.5', '1e2', 'ten', ' 7'])('refuses %j with a 400 naming the field', (raw) => {
    expect(() => intParam(raw, 'days', opts)).toThrow(expect.objectContaining({ status: 400, field: 'days' }));
  });
});

describe('foldEventCounts', () => {
  const dates = ['d0', 'd1', 'd2'];
  it.each([
    ['nothing', [], 0, [0, 0, 0], [], { names: 0, total: 0 }],
    [
      'tracks and pages',
      [
        { dayIndex: 0, type: 'track', event: 'A', count: 2 },
        { dayIndex: 2, type: 'track', event: 'A', count: 1 },
        { dayIndex: 2, type: 'track', event: 'B', count: 5 },
        { dayIndex: 1, type: 'page', event: null, count: 4 },
      ],
      12,
      [2, 4, 6],
      [
        ['B', 5, [0, 0, 5]],
        ['A', 3, [2, 0, 1]],
      ],
      { names: 0, total: 0 },
    ],
    [
      'more names than top, ties by name',
      [
        { dayIndex: 0, type: 'track', event: 'C', count: 1 },
        { dayIndex: 0, type: 'track', event: 'B', count: 1 },
        { dayIndex: 0, type: 'track', event: 'A', count: 1 },
        { dayIndex: 0, type: 'track', event: 'D', count: 9 },
      ],
      12,
      [12, 0, 0],
      [
        ['D', 9, [9, 0, 0]],
        ['A', 1, [1, 0, 0]],
      ],
      { names: 2, total: 2 },
    ],
    ['rows outside the window', [{ dayIndex: 3, type: 'track', event: 'A', count: 1 }], 0, [0, 0, 0], [], { names: 0, total: 0 }],
  ])('folds %s', (_label, rows, total, daily, byEvent, other) => {
    const out = foldEventCounts(rows, dates, 2);
    expect(out.total).toBe(total);
    expect(out.daily.map((d) => d.count)).toEqual(daily);
    expect(out.daily.map((d) => d.date)).toEqual(dates);
    expect(out.byEvent.map((e) => [e.event, e.total, e.daily])).toEqual(byEvent);
    expect(out.otherEvents).toEqual(other);
    expect(out.byType.reduce((s, t) => s + t.total, 0)).toBe(total);
  });
});

describe('sizeSeries', () => {
  const w = dayWindow(4, NOW);
  const day = (i: number) => w.from + i * DAY_MS;
  it.each([
    ['no snapshots: only today is known', [], [null, null, null, 7]],
    ['snapshots fill their days, gaps stay null', [{ day: day(0), size: 1 }, { day: day(2), size: 3 }], [1, null, 3, 7]],
    ['a snapshot of today is replaced by the live size', [{ day: day(3), size: 2 }], [null, null, null, 7]],
    ['snapshots outside the window are ignored', [{ day: day(-1), size: 5 }, { day: day(1), size: 6 }], [null, 6, null, 7]],
  ])('%s', (_label, snapshots, sizes) => {
    expect(sizeSeries(snapshots, w, 7).map((p) => p.size)).toEqual(sizes);
  });
});

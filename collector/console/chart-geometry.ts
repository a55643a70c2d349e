/** Chart geometry, kept pure: the SVG code only draws what these compute. */

export interface Bar {
  x: number;
  y: number;
  width: number;
  height: number;
  value: number;
}

/**
 * A "nice" axis maximum at or above `max`: 1, 2 or 5 times a power of ten.
 * @example niceMax(37) // 50
 */
export function niceMax(max: number): number {
  if (!(max > 0)) return 1;
  const power = 10 ** Math.floor(Math.log10(max));
  const step = [1, 2, 5, 10].find((m) => m * power >= max) ?? 10;
  return step * power;
}

/**
 * Bars for `values` in a `width` x `height` box, with `gap` between bars. A zero keeps a
 * 1-unit stub so empty days stay visible as days. `max` (default: a nice maximum of the values)
 * lets bars share a scale with a line drawn over them.
 * @example barLayout([1, 2], 100, 50, 2) // two bars, 49 wide
 */
export function barLayout(values: readonly number[], width: number, height: number, gap = 2, max = niceMax(Math.max(0, ...values))): { bars: Bar[]; max: number } {
  const n = values.length || 1;
  const slot = width / n;
  const barWidth = Math.max(1, slot - gap);
  const bars = values.map((value, i) => {
    const h = value > 0 ? Math.max(1, (value / max) * height) : 1;
    return { x: i * slot + (slot - barWidth) / 2, y: height - h, width: barWidth, height: h, value };
  });
  return { bars, max };
}

const r = (n: number) => Math.round(n * 10) / 10;

/**
 * An SVG path through the known points of a series; `null`s break the line (no invented data).
 * A lone point between gaps becomes a tiny horizontal tick so it still shows.
 * @example sparkPath([1, null, 3], 100, 20) // "M0 10h1M100 0h1"-like
 */
export function sparkPath(values: readonly (number | null)[], width: number, height: number): string {
  const known = values.filter((v): v is number => v !== null);
  if (known.length === 0) return '';
  const min = Math.min(...known);
  const max = Math.max(...known);
  const span = max - min || 1;
  const step = values.length > 1 ? width / (values.length - 1) : 0;
  return polyline(values, (i) => i * step, (v) => (max === min ? height / 2 : height - ((v - min) / span) * height), true);
}

/** An SVG path through the non-null values at (x(i), y(v)); `null`s start a new piece. `tickLone` marks an isolated point with a 1-unit stroke. */
function polyline(values: readonly (number | null)[], x: (i: number) => number, y: (v: number) => number, tickLone: boolean): string {
  let path = '';
  let drawing = false;
  values.forEach((v, i) => {
    if (v === null) {
      drawing = false;
      return;
    }
    const next = values[i + 1];
    path += `${drawing ? 'L' : 'M'}${r(x(i))} ${r(y(v))}`;
    if (tickLone && !drawing && (next === null || next === undefined)) path += 'h1';
    drawing = true;
  });
  return path;
}

/**
 * Points of a line over the same slots as `barLayout` (one per value, at the slot's centre),
 * scaled to `max`; `null`s break the line.
 * @example linePath([0, 5], 100, 50, 10) // "M25 50L75 25"
 */
export function linePath(values: readonly (number | null)[], width: number, height: number, max: number): string {
  const slot = width / (values.length || 1);
  return polyline(values, (i) => i * slot + slot / 2, (v) => height - (Math.min(v, max) / max) * height, false);
}

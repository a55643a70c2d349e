import { barLayout, linePath, niceMax, sparkPath } from './chart-geometry';
import { s } from './dom';
import { formatCount } from './format';

/**
 * A bar chart of daily counts as inline SVG, with a title per bar (hover and screen readers)
 * and a text summary for assistive technology.
 */
export function dailyBars(points: readonly { date: string; count: number }[], label: string): SVGElement {
  const W = 600;
  const H = 160;
  const PAD_L = 40;
  const PAD_B = 20;
  const { bars, max } = barLayout(points.map((p) => p.count), W - PAD_L, H - PAD_B - 6);
  const total = points.reduce((sum, p) => sum + p.count, 0);
  const first = points[0]?.date ?? '';
  const last = points[points.length - 1]?.date ?? '';
  return s(
    'svg',
    { viewBox: `0 0 ${W} ${H}`, class: 'chart', role: 'img', 'aria-label': `${label}: ${formatCount(total)} from ${first} to ${last}` },
    s('line', { x1: PAD_L, x2: W, y1: H - PAD_B, y2: H - PAD_B, class: 'axis' }),
    s('text', { x: PAD_L - 6, y: 12, class: 'tick', 'text-anchor': 'end' }, formatCount(max)),
    s('text', { x: PAD_L - 6, y: H - PAD_B, class: 'tick', 'text-anchor': 'end' }, '0'),
    s('text', { x: PAD_L, y: H - 4, class: 'tick' }, first),
    s('text', { x: W, y: H - 4, class: 'tick', 'text-anchor': 'end' }, last),
    bars.map((b, i) =>
      s(
        'rect',
        { x: PAD_L + b.x, y: b.y + 6, width: b.width, height: b.height, class: b.value > 0 ? 'bar' : 'bar empty' },
        s('title', null, `${points[i]!.date}: ${formatCount(b.value)}`),
      ),
    ),
  );
}

/** A small trend line for a segment's daily size; gaps (days without a snapshot) stay gaps. */
export function sparkline(values: readonly (number | null)[], label: string): SVGElement {
  const d = sparkPath(values, 100, 24);
  return s(
    'svg',
    { viewBox: '-2 -2 104 28', class: 'spark', role: 'img', 'aria-label': label, preserveAspectRatio: 'none' },
    d ? s('path', { d, class: 'spark-line' }) : null,
  );
}

/**
 * Actual counts as bars with the model's expectation as a line over them (the predictions
 * page: repeat orders per week), with a text summary for assistive technology.
 */
export function barsWithLine(points: readonly { label: string; actual: number; expected: number | null }[], label: string): SVGElement {
  const W = 600;
  const H = 180;
  const PAD_L = 40;
  const PAD_B = 20;
  const plotH = H - PAD_B - 6;
  const max = niceMax(Math.max(0, ...points.map((p) => Math.max(p.actual, p.expected ?? 0))));
  const { bars } = barLayout(points.map((p) => p.actual), W - PAD_L, plotH, 2, max);
  const line = linePath(points.map((p) => p.expected), W - PAD_L, plotH, max);
  const actual = points.reduce((s, p) => s + p.actual, 0);
  const expected = points.reduce((s, p) => s + (p.expected ?? 0), 0);
  return s(
    'svg',
    { viewBox: `0 0 ${W} ${H}`, class: 'chart', role: 'img', 'aria-label': `${label}: ${formatCount(actual)} actual, ${formatCount(Math.round(expected))} expected` },
    s('line', { x1: PAD_L, x2: W, y1: H - PAD_B, y2: H - PAD_B, class: 'axis' }),
    s('text', { x: PAD_L - 6, y: 12, class: 'tick', 'text-anchor': 'end' }, formatCount(max)),
    s('text', { x: PAD_L - 6, y: H - PAD_B, class: 'tick', 'text-anchor': 'end' }, '0'),
    s('text', { x: PAD_L, y: H - 4, class: 'tick' }, points[0]?.label ?? ''),
    s('text', { x: W, y: H - 4, class: 'tick', 'text-anchor': 'end' }, points[points.length - 1]?.label ?? ''),
    bars.map((b, i) =>
      s(
        'rect',
        { x: PAD_L + b.x, y: b.y + 6, width: b.width, height: b.height, class: b.value > 0 ? 'bar' : 'bar empty' },
        s('title', null, `${points[i]!.label}: ${formatCount(b.value)} actual, ${points[i]!.expected === null ? 'no' : formatCount(Math.round(points[i]!.expected!))} expected`),
      ),
    ),
    line ? s('path', { d: line, class: 'expected-line', transform: `translate(${PAD_L} 6)` }) : null,
  );
}

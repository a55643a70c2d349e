import { barLayout, sparkPath } from './chart-geometry';
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

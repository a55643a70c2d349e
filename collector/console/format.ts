/** Formatting for the console: pure functions, so they are tested without a browser. */

const compact = new Intl.NumberFormat('en', { notation: 'compact', maximumFractionDigits: 1 });
const whole = new Intl.NumberFormat('en');

/**
 * A count for a card or axis: exact below 10,000, compact above.
 * @example formatCount(12345) // "12.3K"
 */
export const formatCount = (n: number) => (Math.abs(n) < 10_000 ? whole.format(n) : compact.format(n));

/** @example formatShare(0.4567) // "45.7%" */
export const formatShare = (x: number) => `${(Math.round(x * 1000) / 10).toFixed(x === 0 || x === 1 ? 0 : 1)}%`;

/**
 * How long ago, in words, from `now`.
 * @example timeAgo('2026-01-01T00:00:00Z', Date.parse('2026-01-01T00:05:00Z')) // "5 min ago"
 */
export function timeAgo(iso: string | number, now = Date.now()): string {
  const t = typeof iso === 'number' ? iso : Date.parse(iso);
  if (!Number.isFinite(t)) return '';
  const s = Math.round((now - t) / 1000);
  if (s < 0) return 'in the future';
  if (s < 45) return 'just now';
  if (s < 3600) return `${Math.round(s / 60)} min ago`;
  if (s < 86_400) return `${Math.round(s / 3600)} h ago`;
  if (s < 86_400 * 45) return `${Math.round(s / 86_400)} d ago`;
  return new Date(t).toISOString().slice(0, 10);
}

/** A date-time in the viewer's locale, or the raw text when it is not a date. */
export function formatDate(value: unknown): string {
  if (typeof value !== 'string' && typeof value !== 'number') return '';
  const t = typeof value === 'number' ? value : Date.parse(value);
  return Number.isFinite(t) ? new Date(t).toLocaleString() : String(value);
}

/** Any JSON value as one short line; flat objects read as `key: value, ...`. */
export function formatValue(value: unknown, max = 120): string {
  const flat =
    value !== null && typeof value === 'object' && !Array.isArray(value) && Object.values(value).every((v) => v === null || typeof v !== 'object');
  const text =
    typeof value === 'string'
      ? value
      : flat
        ? Object.entries(value as Record<string, unknown>).map(([k, v]) => `${k}: ${v}`).join(', ')
        : (JSON.stringify(value) ?? '');
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** The label of a stored message in lists: the event name, or the type and page name. */
export function messageLabel(e: { type: string; event?: string | null; name?: string | null }): string {
  if (e.type === 'track') return e.event ?? 'track';
  if ((e.type === 'page' || e.type === 'screen') && e.name) return `${e.type}: ${e.name}`;
  return e.type;
}

/** Quotes one CSV-free filename part from a segment key. */
export const fileSafe = (s: string) => s.replace(/[^a-z0-9_-]+/gi, '-').slice(0, 60) || 'segment';

/**
 * Pure pieces of the insights API: query parameters, UTC day buckets and zero-filled series.
 * Days are UTC so every reader (API, console, snapshots) agrees on where a day starts.
 */
import { badRequest } from '../http/errors';

export const DAY_MS = 86_400_000;

/** Epoch ms of the UTC midnight that starts the day holding `ms`. */
export const dayStart = (ms: number) => Math.floor(ms / DAY_MS) * DAY_MS;

/** `YYYY-MM-DD` of the UTC day holding `ms`. */
export const isoDay = (ms: number) => new Date(dayStart(ms)).toISOString().slice(0, 10);

/** The window of the last `days` UTC days, today included: [from, to). */
export function dayWindow(days: number, now: number): { from: number; to: number; dates: string[] } {
  const to = dayStart(now) + DAY_MS;
  const from = to - days * DAY_MS;
  const dates = Array.from({ length: days }, (_, i) => isoDay(from + i * DAY_MS));
  return { from, to, dates };
}

/**
 * Reads an optional integer query parameter within [min, max], or answers 400 naming it.
 * @example intParam('7', 'days', { min: 1, max: 365, fallback: 30 }) // 7
 */
export function intParam(
  raw: string | undefined,
  field: string,
  { min, max, fallback }: { min: number; max: number; fallback: number },
): number {
  if (raw === undefined || raw === '') return fallback;
  if (!/^-?\d+$/.test(raw)) throw badRequest('invalid_field', `${field} must be an integer`, field);
  const value = Number(raw);
  if (value < min || value > max) throw badRequest('invalid_field', `${field} must be between ${min} and ${max}`, field);
  return value;
}

/** One count row as the store returns it: day index within the window, message type, event name. */
export interface DayCount {
  dayIndex: number;
  type: string;
  event: string | null;
  count: number;
}

export interface EventInsights {
  days: number;
  from: string;
  to: string;
  timezone: 'UTC';
  total: number;
  daily: { date: string; count: number }[];
  byType: { type: string; total: number; daily: number[] }[];
  /** Track events by name, biggest first, at most `top` of them. */
  byEvent: { event: string; total: number; daily: number[] }[];
  /** What did not fit in `byEvent`. */
  otherEvents: { names: number; total: number };
}

function addTo(map: Map<string, { total: number; daily: number[] }>, key: string, days: number, i: number, n: number) {
  let series = map.get(key);
  if (!series) map.set(key, (series = { total: 0, daily: new Array<number>(days).fill(0) }));
  series.total += n;
  series.daily[i] = (series.daily[i] ?? 0) + n;
}

const byTotalThenName = <T extends { total: number }>(name: (t: T) => string) => (a: T, b: T) =>
  b.total - a.total || name(a).localeCompare(name(b));

/**
 * Folds grouped counts into zero-filled daily series: all messages, per type, per track event.
 * Rows outside the window are ignored (they cannot come from the store, but the fold stays total).
 * @example foldEventCounts([{ dayIndex: 0, type: 'track', event: 'Paid', count: 2 }], dayWindow(1, now).dates, 10)
 */
export function foldEventCounts(rows: readonly DayCount[], dates: readonly string[], top: number): EventInsights {
  const days = dates.length;
  const daily = new Array<number>(days).fill(0);
  const types = new Map<string, { total: number; daily: number[] }>();
  const events = new Map<string, { total: number; daily: number[] }>();
  let total = 0;
  for (const row of rows) {
    if (!Number.isInteger(row.dayIndex) || row.dayIndex < 0 || row.dayIndex >= days) continue;
    daily[row.dayIndex] += row.count;
    total += row.count;
    addTo(types, row.type, days, row.dayIndex, row.count);
    if (row.type === 'track' && row.event !== null) addTo(events, row.event, days, row.dayIndex, row.count);
  }
  const byType = [...types].map(([type, s]) => ({ type, ...s })).sort(byTotalThenName((t) => t.type));
  const allEvents = [...events].map(([event, s]) => ({ event, ...s })).sort(byTotalThenName((e) => e.event));
  const rest = allEvents.slice(top);
  return {
    days,
    from: dates[0] ?? '',
    to: dates[days - 1] ?? '',
    timezone: 'UTC',
    total,
    daily: dates.map((date, i) => ({ date, count: daily[i] ?? 0 })),
    byType,
    byEvent: allEvents.slice(0, top),
    otherEvents: { names: rest.length, total: rest.reduce((sum, e) => sum + e.total, 0) },
  };
}

/**
 * Lays daily snapshots onto the window: a day without a snapshot is `null` (the collector did
 * not run that day, or the segment did not exist; we do not invent a size), except today,
 * which is the live size.
 * @example sizeSeries([{ day: dayWindow(2, now).from, size: 4 }], dayWindow(2, now), 5) // sizes [4, 5]
 */
export function sizeSeries(
  snapshots: readonly { day: number; size: number }[],
  window: { from: number; dates: readonly string[] },
  current: number,
): { date: string; size: number | null }[] {
  const byDay = new Map(snapshots.map((s) => [s.day, s.size]));
  const last = window.dates.length - 1;
  return window.dates.map((date, i) => ({ date, size: i === last ? current : (byDay.get(window.from + i * DAY_MS) ?? null) }));
}

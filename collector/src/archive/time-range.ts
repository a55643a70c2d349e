import { badRequest } from '../http/errors';

/** Receive times [from, to) in epoch ms; an open end is ±Infinity. */
export interface TimeRange {
  from: number;
  to: number;
}

// ISO 8601 as Date.parse reads it reliably: a date, or a date and time with an optional zone.
const ISO = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})?)?$/;

/**
 * The `from` and `to` query parameters of an export: ISO times, both optional, `from` inclusive
 * and `to` exclusive. A bad value is a 400 naming the parameter.
 *
 * @example
 * parseTimeRange({ from: '2026-12-01', to: undefined }) // -> { from: Date.UTC(2026, 11, 1), to: Infinity }
 */
export function parseTimeRange(query: { from?: string; to?: string }): TimeRange {
  const at = (field: 'from' | 'to', fallback: number) => {
    const text = query[field];
    if (text === undefined || text === '') return fallback;
    const ms = ISO.test(text) ? Date.parse(text) : NaN;
    if (Number.isNaN(ms)) throw badRequest('invalid_field', `${field} must be an ISO 8601 time such as 2026-12-01T00:00:00Z`, field);
    return ms;
  };
  const range = { from: at('from', -Infinity), to: at('to', Infinity) };
  if (range.to <= range.from) throw badRequest('invalid_field', 'to must be later than from', 'to');
  return range;
}

import { describe, expect, it } from 'vitest';
import { ApiError } from '../http/errors';
import { parseTimeRange } from './time-range';

describe('export time range', () => {
  it.each([
    [{}, { from: -Infinity, to: Infinity }],
    [{ from: '2026-12-01' }, { from: Date.UTC(2026, 11, 1), to: Infinity }],
    [{ to: '2026-12-01T10:00:00Z' }, { from: -Infinity, to: Date.UTC(2026, 11, 1, 10) }],
    [{ from: '2026-12-01T10:00:00.250+02:00', to: '2026-12-02T00:00Z' }, { from: Date.UTC(2026, 11, 1, 8, 0, 0, 250), to: Date.UTC(2026, 11, 2) }],
    [{ from: '', to: '' }, { from: -Infinity, to: Infinity }],
  ])('reads %j', (query, range) => {
    expect(parseTimeRange(query)).toEqual(range);
  });

  it.each([
    [{ from: 'yesterday' }, 'from'],
    [{ from: '1733000000000' }, 'from'],
    [{ to: '2026-13-45' }, 'to'],
    [{ from: '2026-12-02', to: '2026-12-01' }, 'to'],
    [{ from: '2026-12-01', to: '2026-12-01' }, 'to'],
  ])('refuses %j naming %s', (query, field) => {
    try {
      parseTimeRange(query);
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(ApiError);
      expect((err as ApiError).field).toBe(field);
      expect((err as ApiError).status).toBe(400);
    }
  });
});

import { describe, expect, it } from 'vitest';
import { timeOrderedId } from './time-ordered-id';

describe('timeOrderedId', () => {
  it.each([
    [Date.UTC(2026, 11, 7), Date.UTC(2026, 11, 7) + 1],
    [Date.UTC(2026, 11, 7), Date.UTC(2027, 0, 1)],
    [0, Date.UTC(2026, 11, 7)],
    [Date.UTC(1999, 0, 1), Date.UTC(2100, 0, 1)],
  ])('an id made at %i sorts before one made at %i', (earlier, later) => {
    expect(timeOrderedId('prof', earlier) < timeOrderedId('prof', later)).toBe(true);
  });

  it('keeps the prefix, has a fixed length, and differs within one millisecond', () => {
    const now = Date.UTC(2026, 11, 7, 6, 55);
    const ids = Array.from({ length: 1000 }, () => timeOrderedId('prof', now));
    expect(new Set(ids).size).toBe(1000);
    for (const id of ids) expect(id).toMatch(/^prof_[0-9a-z]{9}[A-Za-z0-9_-]{12}$/);
  });
});

import { describe, expect, it } from 'vitest';
import { retryable } from './transport-outcome';

describe('retryable', () => {
  it.each([
    [200, false],
    [204, false],
    [0, true], // network error
    [408, true],
    [429, true],
    [500, true],
    [503, true],
    [400, false],
    [401, false],
    [404, false],
    [413, false],
  ])('HTTP %i -> %s', (status, expected) => {
    expect(retryable(status)).toBe(expected);
  });
});

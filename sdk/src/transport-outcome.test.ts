import { describe, expect, it } from 'vitest';
import { classify } from './transport-outcome';

describe('classify', () => {
  it.each([
    [200, 0, { kind: 'ok', rejected: [] }],
    [204, 0, { kind: 'ok', rejected: [] }],
    [0, 0, { kind: 'retry', after: 0 }], // network error
    [408, 0, { kind: 'retry', after: 0 }],
    [500, 0, { kind: 'retry', after: 0 }],
    [503, 5000, { kind: 'retry', after: 5000 }],
    [429, 2000, { kind: 'rateLimited', after: 2000 }],
    [400, 0, { kind: 'drop', status: 400 }],
    [401, 0, { kind: 'drop', status: 401 }],
    [413, 0, { kind: 'drop', status: 413 }],
    [404, 0, { kind: 'drop', status: 404 }],
  ])('HTTP %i (Retry-After %i ms) -> %j', (status, after, expected) => {
    expect(classify(status, after)).toEqual(expected);
  });
});

import { describe, expect, it } from 'vitest';
import { changedProfiles } from './changed';

const values = (pairs: Record<string, string>) => Object.entries(pairs).map(([profile_id, value]) => ({ profile_id, value }));

describe('changedProfiles', () => {
  it.each([
    ['nothing changed', { a: '1', b: '"x"' }, { b: '"x"', a: '1' }, []],
    ['a value changed', { a: '1', b: '2' }, { a: '1', b: '3' }, ['b']],
    ['a value gained', { a: '1' }, { a: '1', c: '0' }, ['c']],
    ['a value lost (no event left in the window)', { a: '1', b: '2' }, { a: '1' }, ['b']],
    ['same number, other JSON type', { a: '1' }, { a: '"1"' }, ['a']],
    ['everything new', {}, { a: '1', b: '1' }, ['a', 'b']],
  ])('%s', (_name, before, after, expected) => {
    expect(changedProfiles(values(before), values(after)).sort()).toEqual(expected);
  });
});

import { describe, expect, it } from 'vitest';
import { emptyProfile } from '../identity/profile-state';
import type { ProfileView } from '../store/profiles';
import { refOf, viewRefs, wholeKeep } from './answers';

const view = (over: Partial<ProfileView> = {}): ProfileView => ({
  state: emptyProfile('prof_a', 0),
  identities: [
    { type: 'user_id', value: '42' },
    { type: 'email', value: 'a@x.com' },
  ],
  accounts: [],
  computedTraits: {},
  model: null,
  orders: null,
  ...over,
});

describe('what the read store keeps of an answer', () => {
  it.each([
    [{ kind: 'id', id: 'prof_a' }, 'id\u0000prof_a'],
    [{ kind: 'identifier', id: { type: 'email', value: 'a@x.com' } }, 'email\u0000a@x.com'],
  ] as const)('the ref of %j is %j: the keys viewRefs gives', (selector, key) => {
    expect(refOf(selector)).toBe(key);
    expect(viewRefs(view(), ['prof_a', 'prof_b'])).toContain(key);
  });

  it('names every profile id of the tree and every identifier', () => {
    expect(viewRefs(view(), ['prof_a', 'prof_b'])).toEqual(['id\u0000prof_a', 'id\u0000prof_b', 'user_id\u000042', 'email\u0000a@x.com']);
  });

  it.each([
    ['no model: the text', {}, true],
    ['a model but no orders: the text', { model: { model: {} as never, fitMs: 0 } }, true],
    ['a model and orders: the view, rendered per read', { model: { model: {} as never, fitMs: 0 }, orders: { profileId: 'prof_a', orders: 2, firstAt: 0, lastAt: 1, total: 3, firstValue: 1 } }, false],
  ])('keeps %s', (_name, over, timeless) => {
    const kept = wholeKeep(view(over as Partial<ProfileView>), 'BODY', []);
    expect(kept.profile?.timeless).toBe(timeless);
    if (timeless) expect(kept.profile?.text).toBe('BODY');
    else expect(JSON.parse(kept.profile!.text)).not.toHaveProperty('model');
  });
});

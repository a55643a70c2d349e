import { describe, expect, it } from 'vitest';
import type { LoadedProfile, MergeRecord, Plan } from '../identity/planner';
import { emptyProfile, type ProfileState } from '../identity/profile-state';
import { rowTextLength } from '../store/profile-rows';
import { HeldStore, ProfileCache, type BatchRead } from './profile-cache';

const state = (id: string, version: number, more: Partial<ProfileState> = {}): ProfileState => ({ ...emptyProfile(id, 1), version, ...more });
const loaded = (...states: ProfileState[]): Map<string, LoadedProfile> => new Map(states.map((s) => [s.id, { state: s, identityCount: 1, userIds: [] }]));
const read = (profiles: Map<string, LoadedProfile>, known: Record<string, string> = {}): BatchRead => ({ profiles, known: new Map(Object.entries(known)) });
const plan = (profiles: ProfileState[], identities: Plan['identities'] = [], merges: Partial<MergeRecord>[] = []) =>
  ({ profiles, identities, merges: merges as MergeRecord[] });
const heldOf = (cache: ProfileCache, key: string) => cache.held([key]).get(key);

describe('ProfileCache', () => {
  it('holds written profiles at the version the upsert gives them, and read ones at theirs', () => {
    const cache = new ProfileCache();
    const a = state('a', 4, { eventCount: 9 });
    const untouched = state('u', 2);
    cache.committed(read(loaded(a, untouched), { 'user_id:a': 'a', 'user_id:u': 'u' }), plan([{ ...a, eventCount: 10 }, state('n', -1)], [{ type: 'anonymous_id', value: 'n', profileId: 'n' }]));
    expect(heldOf(cache, 'user_id:a')).toMatchObject({ id: 'a', version: 5, eventCount: 10 });
    expect(heldOf(cache, 'user_id:u')).toBe(untouched);
    expect(heldOf(cache, 'anonymous_id:n')).toMatchObject({ id: 'n', version: 0 });
  });

  it('drops absorbed profiles and sends their identifiers to the survivor, along a chain of merges', () => {
    const cache = new ProfileCache();
    cache.committed(read(loaded(state('x', 0), state('y', 0), state('z', 0)), { 'anonymous_id:x': 'x', 'anonymous_id:y': 'y', 'user_id:z': 'z' }), plan([state('z', 0)]));
    // x merged into y, then y into z (a later batch).
    cache.committed(read(loaded(state('x', 0), state('y', 0)), { 'anonymous_id:x': 'x' }), plan([state('x', 0, { canonicalId: 'y' }), state('y', 0)], [], [{ absorbedId: 'x', survivorId: 'y' }]));
    cache.committed(read(loaded(state('y', 1), state('z', 1))), plan([state('y', 1, { canonicalId: 'z' }), state('z', 1)], [], [{ absorbedId: 'y', survivorId: 'z' }]));
    expect(cache.size).toBe(1);
    expect(heldOf(cache, 'anonymous_id:x')).toMatchObject({ id: 'z', version: 2 });
    expect(heldOf(cache, 'anonymous_id:y')).toMatchObject({ id: 'z', version: 2 });
  });

  it('stops at a profile that is live again (split out by an operator, then read)', () => {
    const cache = new ProfileCache();
    cache.committed(read(loaded(state('x', 0), state('y', 0)), { 'anonymous_id:x': 'x' }), plan([state('x', 0, { canonicalId: 'y' }), state('y', 0)], [], [{ absorbedId: 'x', survivorId: 'y' }]));
    expect(heldOf(cache, 'anonymous_id:x')).toMatchObject({ id: 'y' });
    cache.committed(read(loaded(state('x', 3)), { 'anonymous_id:x': 'x' }), plan([]));
    expect(heldOf(cache, 'anonymous_id:x')).toMatchObject({ id: 'x', version: 3 });
  });

  it('forgets everything a failed batch read or planned', () => {
    const cache = new ProfileCache();
    cache.committed(read(loaded(state('a', 0), state('b', 0)), { 'user_id:a': 'a', 'user_id:b': 'b' }), plan([]));
    cache.failed(read(loaded(state('a', 0))), plan([state('b', 0)]));
    expect(cache.size).toBe(0);
    expect(cache.held(['user_id:a', 'user_id:b']).size).toBe(0);
  });

  it('keeps scopes apart: another workspace, or the same one moved to another database, holds nothing of it', () => {
    const store = new HeldStore();
    const here = new ProfileCache(store, 'w1\u0000DB\u0000');
    here.committed(read(loaded(state('a', 0)), { 'user_id:a': 'a' }), plan([]));
    expect(new ProfileCache(store, 'w1\u0000DB\u0000').size).toBe(1);
    expect(heldOf(new ProfileCache(store, 'w1\u0000DB_2\u0000'), 'user_id:a')).toBeUndefined();
    expect(heldOf(new ProfileCache(store, 'w2\u0000DB\u0000'), 'user_id:a')).toBeUndefined();
    new ProfileCache(store, 'w1\u0000').clear();
    expect(here.size).toBe(0);
  });

  it('keeps within its byte estimate, least recently held out first, whatever the number of scopes', () => {
    // 1,000-character texts: 1,628 bytes each by the estimate; room for three.
    const store = new HeldStore({ maxProfileBytes: 3 * 1628 });
    const scopes = ['w1', 'w2', 'w3', 'w4'].map((w) => new ProfileCache(store, `${w}\u0000DB\u0000`));
    scopes.forEach((cache, i) => {
      const s = state(`p${i}`, 0);
      rowTextLength.set(s, 1000);
      cache.committed(read(loaded(s), { 'user_id:x': `p${i}` }), plan([]));
    });
    expect(store.profiles.size).toBe(3);
    expect(store.profiles.bytes).toBe(3 * 1628);
    expect(heldOf(scopes[0], 'user_id:x')).toBeUndefined();
    expect(heldOf(scopes[3], 'user_id:x')).toMatchObject({ id: 'p3' });
  });

  it('evicts the profile written or read longest ago', () => {
    const cache = new ProfileCache(new HeldStore({ maxProfiles: 2 }));
    const commit = (id: string) => cache.committed(read(loaded(state(id, 0)), { [`user_id:${id}`]: id }), plan([]));
    commit('a');
    commit('b');
    commit('a');
    commit('c');
    expect(cache.size).toBe(2);
    expect(cache.held(['user_id:a', 'user_id:b', 'user_id:c']).size).toBe(2);
    expect(heldOf(cache, 'user_id:b')).toBeUndefined();
  });
});

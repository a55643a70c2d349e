import { describe, expect, it } from 'vitest';
import { applyTraits, identifyUser, resetUser, type User } from './identity';
import type { TraitOps } from './contract';
import { messageId, uuid } from './ids';

const anon: User = { anonymousId: 'a1', userId: null, traits: { plan: 'free' } };
const ana: User = { anonymousId: 'a1', userId: 'ana', traits: { plan: 'pro' } };
const next = () => 'a2';

describe('identifyUser', () => {
  it.each([
    ['anonymous visitor logs in: keeps the anonymous id (stitches)', anon, 'ana', { email: 'a@x' }, { anonymousId: 'a1', userId: 'ana', traits: { plan: 'free', email: 'a@x' } }],
    ['same user again: keeps everything', ana, 'ana', { age: 3 }, { anonymousId: 'a1', userId: 'ana', traits: { plan: 'pro', age: 3 } }],
    ['different user on the same device: rotates and forgets traits', ana, 'bob', { age: 5 }, { anonymousId: 'a2', userId: 'bob', traits: { age: 5 } }],
    ['traits only: keeps the user', ana, undefined, { age: 4 }, { anonymousId: 'a1', userId: 'ana', traits: { plan: 'pro', age: 4 } }],
    ['null user id: keeps the user', ana, null, undefined, { anonymousId: 'a1', userId: 'ana', traits: { plan: 'pro' } }],
  ] as const)('%s', (_label, user, userId, traits, expected) => {
    expect(identifyUser(user, userId, traits, undefined, next)).toEqual(expected);
  });

  it('resets to a fresh anonymous id without a user', () => {
    expect(resetUser(next)).toEqual({ anonymousId: 'a2', userId: null, traits: {} });
  });
});

describe('applyTraits', () => {
  it.each([
    ['set', { a: 1 }, { b: 2 }, undefined, { a: 1, b: 2 }],
    ['overwrite', { a: 1 }, { a: 2 }, undefined, { a: 2 }],
    ['null removes', { a: 1, b: 2 }, { a: null }, undefined, { b: 2 }],
    ['setOnce writes absent traits only', { a: 1 }, undefined, { setOnce: { a: 9, first: 'x' } }, { a: 1, first: 'x' }],
    ['setOnce loses to a set in the same call', {}, { a: 1 }, { setOnce: { a: 9 } }, { a: 1 }],
    ['unset removes', { a: 1, b: 2 }, undefined, { unset: ['a', 'zzz'] }, { b: 2 }],
  ] as const)('%s', (_label, current, traits, ops, expected) => {
    expect(applyTraits(current, traits, ops as TraitOps | undefined)).toEqual(expected);
  });
});

describe('ids', () => {
  it('makes version 4 UUIDs', () => {
    const ids = new Set(Array.from({ length: 1000 }, uuid));
    expect(ids.size).toBe(1000);
    for (const id of ids) expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it('makes messageIds that sort in creation order, also within one millisecond', () => {
    const t = Date.parse('2026-11-23T12:00:00Z');
    const ids = [messageId(t), messageId(t), messageId(t), messageId(t + 1), messageId(t + 1000)];
    expect([...ids].sort()).toEqual(ids);
    expect(ids[0]!.length).toBeLessThanOrEqual(200);
  });
});

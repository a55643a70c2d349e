import type { JsonObject, TraitOps } from './contract';

/** Who the browser's user is, as persisted between page loads. */
export interface User {
  anonymousId: string;
  userId: string | null;
  traits: JsonObject;
}

/**
 * Applies traits and trait operations to the locally kept traits: `null` and `unset` remove,
 * `setOnce` writes only absent traits. Mirrors what the collector does to the profile, so
 * `user().traits` shows what the profile will hold.
 *
 * @example
 * applyTraits({ plan: 'free', seen: 1 }, { plan: 'pro', seen: null }, { setOnce: { plan: 'x', first: 'a' } })
 * // -> { plan: 'pro', first: 'a' }
 */
export function applyTraits(current: JsonObject, traits?: JsonObject, ops?: TraitOps): JsonObject {
  // setOnce first: what the user has or is given now wins over it.
  const next: JsonObject = { ...ops?.setOnce, ...current, ...traits };
  for (const key of ops?.unset ?? []) delete next[key];
  for (const key in next) if (next[key] === null) delete next[key];
  return next;
}

/**
 * The identify rule. Identifying as a different user than the stored one starts a new
 * anonymous id and forgets the old traits, so a shared device never stitches two people
 * together; identifying an anonymous visitor keeps the anonymous id, so their earlier events
 * join the user's profile.
 *
 * @example
 * identifyUser({ anonymousId: 'a1', userId: 'ana', traits: {} }, 'bob', {}, undefined, () => 'a2')
 * // -> { anonymousId: 'a2', userId: 'bob', traits: {} }
 */
export function identifyUser(
  user: User,
  userId: string | null | undefined,
  traits: JsonObject | undefined,
  ops: TraitOps | undefined,
  newId: () => string,
): User {
  const switched = userId != null && user.userId != null && user.userId !== userId;
  return {
    anonymousId: switched ? newId() : user.anonymousId,
    userId: userId ?? user.userId,
    traits: applyTraits(switched ? {} : user.traits, traits, ops),
  };
}

/**
 * The state after `reset()` (logout): a fresh anonymous id, no user, no traits.
 *
 * @example
 * resetUser(() => 'a2') // -> { anonymousId: 'a2', userId: null, traits: {} }
 */
export const resetUser = (newId: () => string): User => ({ anonymousId: newId(), userId: null, traits: {} });

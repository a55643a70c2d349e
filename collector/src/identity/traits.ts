import type { JsonObject, TraitOps } from '../../../sdk/src/contract';

/** Traits plus, per trait name, the event time of the write that decided it (also for removals). */
export interface TraitState {
  traits: JsonObject;
  /** A name present here but absent from `traits` is a removal (tombstone): older sets stay out. */
  times: Record<string, number>;
}

const isObject = (v: unknown): v is JsonObject => v !== null && typeof v === 'object' && !Array.isArray(v);

/** Trait names we refuse as keys: they would poison a plain object in readers of the JSON. */
const UNSAFE = new Set(['__proto__', 'constructor', 'prototype']);

/**
 * Applies one identify/group call to a trait state, in place: `set` for every trait (a `null`
 * value removes it), then `context.traitOps` (`setOnce`, `unset`). Per trait, the write with
 * the latest event time wins, so out-of-order delivery ends in the right value; a tie goes to
 * the write applied last. Returns whether anything changed.
 *
 * @example
 * const s = { traits: { plan: 'pro' }, times: { plan: 200 } };
 * applyTraitWrites(s, { plan: 'free' }, undefined, 100); // false: an older write loses
 */
export function applyTraitWrites(state: TraitState, set: JsonObject | null, ops: TraitOps | undefined, at: number): boolean {
  let changed = false;
  const newer = (name: string) => !UNSAFE.has(name) && (state.times[name] === undefined || at >= state.times[name]);
  for (const [name, value] of Object.entries(set ?? {})) {
    if (!newer(name)) continue;
    if (value === null) delete state.traits[name];
    else state.traits[name] = value;
    state.times[name] = at;
    changed = true;
  }
  if (ops && isObject(ops.setOnce)) {
    for (const [name, value] of Object.entries(ops.setOnce)) {
      // setOnce fills a gap only: a present trait or a newer removal keeps it out.
      if (UNSAFE.has(name) || value === null || name in state.traits) continue;
      if (state.times[name] !== undefined && state.times[name] > at) continue;
      state.traits[name] = value;
      state.times[name] = at;
      changed = true;
    }
  }
  if (ops && Array.isArray(ops.unset)) {
    for (const name of ops.unset) {
      if (typeof name !== 'string' || !newer(name)) continue;
      delete state.traits[name];
      state.times[name] = at;
      changed = true;
    }
  }
  return changed;
}

/**
 * Folds another trait state into `into`, in place, per trait by latest time (tombstones too):
 * the result does not depend on which profile survives a merge.
 *
 * @example
 * const a = { traits: { plan: 'pro' }, times: { plan: 5 } };
 * mergeTraitStates(a, { traits: { plan: 'free', age: 3 }, times: { plan: 9, age: 1 } });
 * // a.traits -> { plan: 'free', age: 3 }
 */
export function mergeTraitStates(into: TraitState, from: TraitState): void {
  for (const [name, at] of Object.entries(from.times)) {
    const mine = into.times[name];
    if (mine !== undefined && mine > at) continue;
    if (mine === at && name in into.traits && !(name in from.traits)) continue; // tie: keep the value
    if (name in from.traits) into.traits[name] = from.traits[name];
    else delete into.traits[name];
    into.times[name] = at;
  }
}

/** Reads `context.traitOps` defensively: senders other than our SDK may send anything. */
export function traitOpsOf(context: JsonObject): TraitOps | undefined {
  const ops = context.traitOps;
  if (!isObject(ops)) return undefined;
  return {
    setOnce: isObject(ops.setOnce) ? ops.setOnce : undefined,
    unset: Array.isArray(ops.unset) ? ops.unset.filter((n): n is string => typeof n === 'string') : undefined,
  };
}

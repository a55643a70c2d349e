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
 * One write of a trait as it is remembered: present (a value) or not (a removal), when, and whether
 * a setOnce wrote it. A setOnce's time is kept with half a millisecond added (event times are whole
 * milliseconds), so the mark needs no change of the stored format.
 */
interface Write {
  present: boolean;
  at: number;
  once: boolean;
  /** The value written (when present): it orders writes of the same millisecond. */
  value?: unknown;
}

const ONCE_MARK = 0.5;
const isOnce = (stored: number) => stored % 1 !== 0;
const writeOf = (state: TraitState, name: string): Write | undefined => {
  const stored = state.times[name];
  return stored === undefined ? undefined : { present: name in state.traits, at: Math.floor(stored), once: isOnce(stored), value: state.traits[name] };
};

/**
 * Whether write `a` comes after write `b` in event order. Writes of the same millisecond (two
 * events with one timestamp: imports with whole seconds, a call that sets and unsets one trait)
 * have no event order, and arrival order would make the result depend on delivery; they are
 * ordered by what they write instead: a removal first, then values by their JSON text. Equal
 * writes are not after each other.
 */
function after(a: Write, b: Write): boolean {
  if (a.at !== b.at) return a.at > b.at;
  if (a.present !== b.present) return a.present;
  return a.present && JSON.stringify(a.value) > JSON.stringify(b.value);
}

/**
 * Whether `challenger` decides a trait held by `incumbent`, so that the result is what applying
 * every write one by one in event order (`after`) gives, whatever order they arrive in:
 * - plain writes: the later one;
 * - two setOnce writes: the earlier one (set once means the first value by event time);
 * - a value set plainly beats a setOnce value whenever either happened (before it, the setOnce
 *   would have found the trait present; after it, it overwrites); a removal beats it only if later;
 * - a setOnce fills only a gap left by an earlier removal.
 *
 * @example
 * prevails({ present: true, at: 5, once: true, value: 'b' }, { present: true, at: 9, once: true, value: 'a' }) // -> true
 */
export function prevails(challenger: Write, incumbent: Write | undefined): boolean {
  if (!incumbent) return true;
  if (challenger.once && incumbent.once) return after(incumbent, challenger);
  if (challenger.once) return !incumbent.present && after(challenger, incumbent);
  if (incumbent.once) return challenger.present || after(challenger, incumbent);
  return after(challenger, incumbent);
}

function record(state: TraitState, name: string, value: unknown, at: number, once: boolean): void {
  if (value === null) delete state.traits[name];
  else state.traits[name] = value;
  state.times[name] = once ? at + ONCE_MARK : at;
}

/**
 * Applies one identify/group call to a trait state, in place: `set` for every trait (a `null`
 * value removes it), then `context.traitOps` (`setOnce`, `unset`). Which write decides a trait is
 * `prevails`: the result does not depend on the order events arrive in. Returns whether anything
 * changed.
 *
 * @example
 * const s = { traits: { plan: 'pro' }, times: { plan: 200 } };
 * applyTraitWrites(s, { plan: 'free' }, undefined, 100); // false: an older write loses
 */
export function applyTraitWrites(state: TraitState, set: JsonObject | null, ops: TraitOps | undefined, at: number): boolean {
  let changed = false;
  const apply = (name: string, value: unknown, once: boolean) => {
    if (UNSAFE.has(name) || !prevails({ present: value !== null, at, once, value }, writeOf(state, name))) return;
    record(state, name, value, at, once);
    changed = true;
  };
  for (const [name, value] of Object.entries(set ?? {})) apply(name, value, false);
  if (ops && isObject(ops.setOnce)) {
    for (const [name, value] of Object.entries(ops.setOnce)) if (value !== null) apply(name, value, true);
  }
  if (ops && Array.isArray(ops.unset)) {
    for (const name of ops.unset) if (typeof name === 'string') apply(name, null, false);
  }
  return changed;
}

/**
 * Folds another trait state into `into`, in place, trait by trait with the same rule as
 * `applyTraitWrites` (tombstones and setOnce marks too): the result does not depend on which
 * profile survives a merge.
 *
 * @example
 * const a = { traits: { plan: 'pro' }, times: { plan: 5 } };
 * mergeTraitStates(a, { traits: { plan: 'free', age: 3 }, times: { plan: 9, age: 1 } });
 * // a.traits -> { plan: 'free', age: 3 }
 */
export function mergeTraitStates(into: TraitState, from: TraitState): void {
  for (const name of Object.keys(from.times)) {
    const theirs = writeOf(from, name)!;
    if (!prevails(theirs, writeOf(into, name))) continue;
    record(into, name, theirs.present ? from.traits[name] : null, theirs.at, theirs.once);
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

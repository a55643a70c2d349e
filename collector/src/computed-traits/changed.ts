import type { TraitValue } from '../store/computed-traits';

/**
 * The profiles whose value of a trait differs between two complete sets of its values (before and
 * after a recompute over everyone): changed, gained or lost. Only their profile reads went stale.
 *
 * @example
 * changedProfiles([{ profile_id: 'a', value: '1' }, { profile_id: 'b', value: '2' }], [{ profile_id: 'a', value: '1' }]) // -> ['b']
 */
export function changedProfiles(before: readonly TraitValue[], after: readonly TraitValue[]): string[] {
  const left = new Map(before.map((r) => [r.profile_id, r.value]));
  const changed = new Set<string>();
  for (const r of after) {
    if (left.get(r.profile_id) !== r.value) changed.add(r.profile_id);
    left.delete(r.profile_id);
  }
  for (const id of left.keys()) changed.add(id);
  return [...changed];
}

import type { StoredEvent } from '../ingest/normalise';
import { applyEvent, emptyProfile, foldProfile, type ProfileState } from './profile-state';

export interface TreeNode {
  id: string;
  mergedInto: string | null;
}

/**
 * The ids of `rootId` and every profile merged into it directly or through others, from the
 * merge tree of one canonical profile. A split moves exactly this subtree back out.
 *
 * @example
 * subtreeOf([{ id: 'S', mergedInto: null }, { id: 'A', mergedInto: 'S' }, { id: 'B', mergedInto: 'A' }], 'A') // -> Set {'A', 'B'}
 */
export function subtreeOf(tree: readonly TreeNode[], rootId: string): Set<string> {
  const children = new Map<string, string[]>();
  for (const n of tree) if (n.mergedInto) children.set(n.mergedInto, [...(children.get(n.mergedInto) ?? []), n.id]);
  const out = new Set<string>();
  const stack = [rootId];
  while (stack.length > 0) {
    const id = stack.pop()!;
    if (out.has(id)) continue;
    out.add(id);
    stack.push(...(children.get(id) ?? []));
  }
  return out;
}

/**
 * Rebuilds a canonical profile from its events (traits, computed traits, consent), replayed by
 * event time. Every trait write is an event, so this is exact: it is how a split recomputes both
 * sides of a wrong merge. Keeps the profile's id and creation time.
 *
 * @example
 * replayProfile({ id: 'A', createdAt: 1, mergeCount: 0 }, eventsOfA, now)
 */
export function replayProfile(
  base: Pick<ProfileState, 'id' | 'createdAt' | 'mergeCount'>,
  events: readonly StoredEvent[],
  now: number,
): ProfileState {
  const p = { ...emptyProfile(base.id, base.createdAt), mergeCount: base.mergeCount, updatedAt: now };
  const ordered = [...events].sort((a, b) => a.timestamp - b.timestamp);
  for (const e of ordered) applyEvent(p, e);
  return p;
}

export interface SplitPlan {
  survivor: ProfileState;
  restored: ProfileState;
  /** Ids whose canonical_id goes back to the restored profile. */
  moved: string[];
}

/**
 * Splits `absorbedId` (and what was merged into it) out of the canonical profile `survivorId`:
 * both sides are replayed from their own events. `eventsByProfile` holds the tree's events
 * keyed by the profile they resolved to at ingest.
 */
export function planSplit(input: {
  survivor: Pick<ProfileState, 'id' | 'createdAt'>;
  absorbed: Pick<ProfileState, 'id' | 'createdAt'>;
  tree: readonly TreeNode[];
  eventsByProfile: ReadonlyMap<string, readonly StoredEvent[]>;
  now: number;
}): SplitPlan {
  const moved = subtreeOf(input.tree, input.absorbed.id);
  const side = (inMoved: boolean) => input.tree.filter((n) => moved.has(n.id) === inMoved);
  const eventsOf = (nodes: TreeNode[]) => nodes.flatMap((n) => input.eventsByProfile.get(n.id) ?? []);
  const stay = side(false);
  const go = side(true);
  const survivor = replayProfile({ ...input.survivor, mergeCount: stay.length - 1 }, eventsOf(stay), input.now);
  const restored = replayProfile({ ...input.absorbed, mergeCount: go.length - 1 }, eventsOf(go), input.now);
  restored.mergedInto = null;
  return { survivor, restored, moved: [...moved] };
}

/** Force-merge: folds `absorbed` into `survivor` (copies; the inputs are left alone). */
export function planForceMerge(survivor: ProfileState, absorbed: ProfileState, now: number): { survivor: ProfileState; absorbed: ProfileState } {
  const s = structuredClone(survivor);
  const a = structuredClone(absorbed);
  foldProfile(s, a);
  s.updatedAt = now;
  a.canonicalId = s.id;
  a.mergedInto = s.id;
  a.updatedAt = now;
  return { survivor: s, absorbed: a };
}

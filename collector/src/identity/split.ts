import type { StoredEvent } from '../ingest/normalise';
import { inEventOrder } from './event-order';
import { eventIdentifiers, identifierKey, identifierPriority, type Identifier } from './identifiers';
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

/** One stored event of a merge tree: `profileId` is the profile it resolved to at ingest. */
export interface TreeEvent {
  profileId: string;
  event: StoredEvent;
}

/** One identity row of a merge tree: the profile that first claimed it, and when. */
export interface TreeIdentity extends Identifier {
  profileId: string;
  createdAt: number;
}

export interface SplitInput {
  /** The canonical profile (root of the tree). */
  survivor: Pick<ProfileState, 'id' | 'createdAt'>;
  /** The absorbed profile taken back out, with its subtree. */
  absorbed: Pick<ProfileState, 'id' | 'createdAt'>;
  tree: readonly TreeNode[];
  events: readonly TreeEvent[];
  identities: readonly TreeIdentity[];
  /** The logged merge being undone (null when the log has no row for it). */
  merge: MergeToUndo | null;
  /** The workspace's phone country, to read events' identifiers as ingest did. */
  defaultCountry?: string;
  now: number;
}

export interface SplitPlan {
  survivor: ProfileState;
  restored: ProfileState;
  /** Ids whose canonical_id goes back to the restored profile (the absorbed subtree). */
  moved: string[];
  /** Events that resolved to the survivor's side while merged but belong to the restored person. */
  movedEvents: string[];
  /** Identifiers the restored person brought while merged (held by the survivor's side until now). */
  movedIdentities: Identifier[];
  /** Account memberships that follow the moved group calls. */
  members: { add: { groupId: string; profileId: string }[]; remove: { groupId: string; profileId: string }[] };
}

/** What the merge log says about the merge a split undoes. */
export interface MergeToUndo {
  /** The absorbed side's identifier that caused it (`type:value`); null for a force-merge. */
  cause: string | null;
  causeMessageId: string | null;
  createdAt: number;
}

type Side = 'stay' | 'go';

/** An event's identifiers as ingest matched them (alias previousId as user_id or anonymous_id), best first. */
function keysOf(e: StoredEvent, defaultCountry: string | undefined): string[] {
  const found = eventIdentifiers(e, defaultCountry);
  const ids = [...found.ids];
  if (found.previousId !== undefined) ids.push({ type: 'user_id', value: found.previousId }, { type: 'anonymous_id', value: found.previousId });
  return ids.sort((a, b) => identifierPriority(b.type) - identifierPriority(a.type)).map(identifierKey);
}

/**
 * Decides, for a split, which events and identifiers of the survivor's side belong to the person
 * taken out. Identifiers their subtree claimed are theirs; the survivor's side claimed before the
 * merge are the survivor's (even when the events that claimed them are gone). The survivor's side
 * is walked in event order (as the resolver applies events): the merge-causing event goes with
 * them (its traits were theirs: it is the event that claimed the other person's identifier); any
 * other event goes to the side of its best identifier whose side is known, else stays;
 * identifiers first seen on an event take that event's side.
 * So what they sent while merged, and the identifiers it brought, go back with them, while events
 * of the survivor that merely carried one of their ids (a login on a shared device) stay.
 *
 * @example
 * assignSides({ moved: new Set(['B']), events, identities, merge: { cause: 'anonymous_id:k1', causeMessageId: 'm-typo', createdAt } })
 * // -> { movedEvents: ['m-typo', 'm-after'], movedIdentities: [{ type: 'phone', value: '+62812...' }] }
 */
export function assignSides(input: {
  moved: ReadonlySet<string>;
  events: readonly TreeEvent[];
  identities: readonly TreeIdentity[];
  merge: SplitInput['merge'];
  defaultCountry?: string;
}): { movedEvents: TreeEvent[]; movedIdentities: TreeIdentity[] } {
  const side = new Map<string, Side | null>();
  const mergedAt = input.merge?.createdAt ?? -Infinity;
  for (const i of input.identities) side.set(identifierKey(i), input.moved.has(i.profileId) ? 'go' : i.createdAt < mergedAt ? 'stay' : null);
  // In the resolver's order (event time), so the walk claims identifiers as the resolver did and
  // gives the same answer however the events were delivered.
  const byEvent = new Map(input.events.filter((e) => !input.moved.has(e.profileId)).map((e) => [e.event, e]));
  const staying = inEventOrder([...byEvent.keys()]).map((e) => byEvent.get(e)!);
  const keyed = staying.map((e) => ({ e, keys: keysOf(e.event, input.defaultCountry).filter((k) => side.has(k)) }));
  // Merges logged before causeMessageId existed: the first event of the survivor's side that carried
  // the absorbed side's identifier named as the cause.
  const causeKey = input.merge?.cause ?? null;
  const cause = input.merge?.causeMessageId ?? (causeKey === null ? undefined : keyed.find((x) => x.keys.includes(causeKey))?.e.event.messageId);
  const movedEvents: TreeEvent[] = [];
  for (const { e, keys } of keyed) {
    const known = keys.map((k) => side.get(k)).find((s) => s);
    const s: Side = e.event.messageId === cause ? 'go' : (known ?? 'stay');
    for (const k of keys) if (!side.get(k)) side.set(k, s);
    if (s === 'go') movedEvents.push(e);
  }
  const movedIdentities = input.identities.filter((i) => !input.moved.has(i.profileId) && side.get(identifierKey(i)) === 'go');
  return { movedEvents, movedIdentities };
}

/**
 * Splits `absorbed` (and what was merged into it) out of the canonical profile `survivor`, as the
 * exact inverse of the merge: the restored person gets back their subtree's identifiers and events,
 * plus what they sent and the identifiers they brought while merged (see `assignSides`); both
 * profiles are replayed from their own events; account memberships follow the moved group calls.
 *
 * @example
 * planSplit({ survivor: { id: 'S', createdAt: 1 }, absorbed: { id: 'B', createdAt: 2 }, tree, events, identities, merge, now })
 * // -> { survivor: S replayed, restored: B replayed, moved: ['B'], movedEvents: [...], movedIdentities: [...], members }
 */
export function planSplit(input: SplitInput): SplitPlan {
  const moved = subtreeOf(input.tree, input.absorbed.id);
  const { movedEvents, movedIdentities } = assignSides({ ...input, moved });
  const goesBack = new Set(movedEvents);
  const goes = (e: TreeEvent) => moved.has(e.profileId) || goesBack.has(e);
  const events = (inMoved: boolean) => input.events.filter((e) => goes(e) === inMoved).map((e) => e.event);
  const size = (inMoved: boolean) => input.tree.filter((n) => moved.has(n.id) === inMoved).length;
  const survivor = replayProfile({ ...input.survivor, mergeCount: size(false) - 1 }, events(false), input.now);
  const restored = replayProfile({ ...input.absorbed, mergeCount: size(true) - 1 }, events(true), input.now);
  restored.mergedInto = null;

  // A group call the restored person made while merged made the survivor's side a member of the
  // account: the membership moves with the call, unless that profile also joined by its own call.
  const staysIn = new Set(
    input.events.filter((e) => !goes(e) && e.event.type === 'group' && e.event.groupId !== null).map((e) => `${e.profileId}\u0000${e.event.groupId}`),
  );
  const add = new Map<string, { groupId: string; profileId: string }>();
  const remove = new Map<string, { groupId: string; profileId: string }>();
  for (const e of movedEvents) {
    const groupId = e.event.type === 'group' ? e.event.groupId : null;
    if (groupId === null) continue;
    add.set(groupId, { groupId, profileId: restored.id });
    if (!staysIn.has(`${e.profileId}\u0000${groupId}`)) remove.set(`${e.profileId}\u0000${groupId}`, { groupId, profileId: e.profileId });
  }
  return {
    survivor,
    restored,
    moved: [...moved],
    movedEvents: movedEvents.map((e) => e.event.messageId),
    movedIdentities: movedIdentities.map(({ type, value }) => ({ type, value })),
    members: { add: [...add.values()], remove: [...remove.values()] },
  };
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

import { describe, expect, it } from 'vitest';
import type { StoredEvent } from '../ingest/normalise';
import { ev, runPlan } from './test-fixtures';
import { assignSides, planSplit, subtreeOf, type TreeEvent, type TreeIdentity, type TreeNode } from './split';

describe('subtreeOf', () => {
  const tree = [
    { id: 'S', mergedInto: null },
    { id: 'A', mergedInto: 'S' },
    { id: 'B', mergedInto: 'A' },
    { id: 'C', mergedInto: 'S' },
    { id: 'D', mergedInto: 'B' },
  ];
  it.each([
    ['A', ['A', 'B', 'D']],
    ['C', ['C']],
    ['B', ['B', 'D']],
    ['S', ['A', 'B', 'C', 'D', 'S']],
  ])('subtree of %s', (root, expected) => {
    expect([...subtreeOf(tree, root)].sort()).toEqual(expected);
  });
});

/** A tree's stored events in event order (t = 100, 200, ...): [profile it resolved to, messageId, event]. */
const stored = (rows: [string, string, Partial<StoredEvent> & { t?: number }][]): TreeEvent[] =>
  rows.map(([profileId, messageId, e], i) => ({ profileId, event: ev({ t: (i + 1) * 100, ...e, messageId }) }));
// Merges in these cases are logged at t=MERGED_AT; an identity row marked 'while merged' was claimed after it.
const MERGED_AT = 50;
const ids = (rows: ([string, string] | [string, string, 'while merged'])[]): TreeIdentity[] =>
  rows.map(([key, profileId, when]) => ({
    type: key.slice(0, key.indexOf(':')),
    value: key.slice(key.indexOf(':') + 1),
    profileId,
    createdAt: when ? MERGED_AT + 1 : MERGED_AT - 1,
  }));
const FORCE = { cause: null, causeMessageId: null, createdAt: MERGED_AT };
const identify = (e: Partial<StoredEvent>) => ({ type: 'identify' as const, event: null, ...e });

// Ana is S. Bob (kiosk k1, profile B) typed Ana's email by mistake: that identify merged B into S.
// While merged, Bob kept using k1 (and brought a new email); Ana once logged in on the kiosk.
const TYPO_TREE: TreeNode[] = [{ id: 'S', mergedInto: null }, { id: 'B', mergedInto: 'S' }];
const TYPO_EVENTS = stored([
  ['S', 'ana-1', identify({ userId: 'ana', anonymousId: 'a-ana', traits: { email: 'ana@example.com', name: 'Ana', plan: 'pro' } })],
  ['B', 'bob-1', identify({ anonymousId: 'k1', traits: { name: 'Bob' } })],
  ['S', 'ana-2', { event: 'Order Completed', userId: 'ana', properties: { revenue: 30 } }],
  ['S', 'typo', identify({ anonymousId: 'k1', traits: { email: 'ana@example.com', name: 'Bob Budi', phone: '+6281234567890' } })],
  ['S', 'bob-2', { event: 'Viewed', anonymousId: 'k1' }],
  ['S', 'bob-3', identify({ anonymousId: 'k1', traits: { email: 'bob@example.com' } })],
  ['S', 'bob-4', { event: 'Viewed', context: { traits: { email: 'bob@example.com' } } }],
  ['S', 'ana-3', { event: 'Viewed', userId: 'ana', anonymousId: 'k1' }],
  ['S', 'ana-4', { event: 'Order Completed', userId: 'ana', anonymousId: 'a-ana', properties: { revenue: 12 } }],
]);
const TYPO_IDS = ids([
  ['user_id:ana', 'S'], ['anonymous_id:a-ana', 'S'], ['email:ana@example.com', 'S'],
  ['anonymous_id:k1', 'B'],
  ['phone:+6281234567890', 'S', 'while merged'], ['email:bob@example.com', 'S', 'while merged'],
]);

describe('assignSides: what the person taken out sent or brought while merged', () => {
  it.each([
    ['the log names the merge-causing event', { cause: 'anonymous_id:k1', causeMessageId: 'typo', createdAt: MERGED_AT }],
    ['a merge logged before causeMessageId: the first survivor-side event with the cause identifier', { cause: 'anonymous_id:k1', causeMessageId: null, createdAt: MERGED_AT }],
  ])('%s', (_case, merge) => {
    const got = assignSides({ moved: new Set(['B']), events: TYPO_EVENTS, identities: TYPO_IDS, merge });
    expect(got.movedEvents.map((e) => e.event.messageId)).toEqual(['typo', 'bob-2', 'bob-3', 'bob-4']);
    expect(got.movedIdentities.map((i) => `${i.type}:${i.value}`).sort()).toEqual(['email:bob@example.com', 'phone:+6281234567890']);
  });

  it('walks events by event time, not by the order they were stored (late delivery changes nothing)', () => {
    const reversed = [...TYPO_EVENTS].reverse();
    const got = assignSides({ moved: new Set(['B']), events: reversed, identities: TYPO_IDS, merge: { cause: 'anonymous_id:k1', causeMessageId: 'typo', createdAt: MERGED_AT } });
    expect(got.movedEvents.map((e) => e.event.messageId)).toEqual(['typo', 'bob-2', 'bob-3', 'bob-4']);
    expect(got.movedIdentities.map((i) => `${i.type}:${i.value}`).sort()).toEqual(['email:bob@example.com', 'phone:+6281234567890']);
  });

  it.each<[string, [string, string, Partial<StoredEvent>][], Parameters<typeof ids>[0], string[], string[]]>([
    [
      'an event carrying ids of both sides goes to its best known identifier (a login on a shared device stays)',
      [['S', 'x', { userId: 'ana', anonymousId: 'k1' }]],
      [['user_id:ana', 'S'], ['anonymous_id:k1', 'B']],
      [],
      [],
    ],
    [
      'an identifier first seen on their event goes with them, and the later events that carry it',
      [['S', 'x', identify({ anonymousId: 'k1', traits: { phone: '+6281111111111' } })], ['S', 'y', { anonymousId: 'fresh', context: { traits: { phone: '+6281111111111' } } }]],
      [['anonymous_id:k1', 'B'], ['phone:+6281111111111', 'S', 'while merged'], ['anonymous_id:fresh', 'S', 'while merged']],
      ['x', 'y'],
      ['anonymous_id:fresh', 'phone:+6281111111111'],
    ],
    [
      'an event with only identifiers nobody can place stays with the survivor',
      [['S', 'x', { anonymousId: 'someone' }]],
      [['anonymous_id:someone', 'S', 'while merged'], ['anonymous_id:k1', 'B']],
      [],
      [],
    ],
    [
      "a survivor's identifier claimed before the merge stays even when the event that claimed it is gone",
      [['S', 'x', { userId: 'ana', anonymousId: 'k1', context: { traits: { email: 'ana@example.com' } } }]],
      [['email:ana@example.com', 'S'], ['user_id:ana', 'S', 'while merged'], ['anonymous_id:k1', 'B']],
      [],
      [],
    ],
    [
      'identifiers outside the tree (refused by a guard at ingest) decide nothing',
      [['S', 'x', { userId: 'other-user', anonymousId: 'k1' }]],
      [['anonymous_id:k1', 'B']],
      ['x'],
      [],
    ],
    [
      'an alias previousId counts as the id it linked',
      [['S', 'x', { type: 'alias', event: null, userId: 'bob-new', previousId: 'k1' }]],
      [['anonymous_id:k1', 'B'], ['user_id:bob-new', 'S', 'while merged']],
      ['x'],
      ['user_id:bob-new'],
    ],
  ])('%s', (_case, events, identities, movedEvents, movedIdentities) => {
    const got = assignSides({ moved: new Set(['B']), events: stored(events), identities: ids(identities), merge: FORCE });
    expect(got.movedEvents.map((e) => e.event.messageId)).toEqual(movedEvents);
    expect(got.movedIdentities.map((i) => `${i.type}:${i.value}`).sort()).toEqual(movedIdentities);
  });
});

describe('planSplit: the exact inverse of the merge', () => {
  it('gives each side back its own traits, events and identifiers, replayed', () => {
    // The planner really merges on the typo (the log's cause is the absorbed profile's identifier).
    const merged = runPlan([{ id: 'S', ids: ['user_id:ana', 'email:ana@example.com'] }, { id: 'B', ids: ['anonymous_id:k1'] }], [TYPO_EVENTS[3]!.event]);
    expect(merged.merges).toEqual([expect.objectContaining({ survivorId: 'S', absorbedId: 'B', cause: 'anonymous_id:k1', causeMessageId: 'typo' })]);

    const split = planSplit({
      survivor: { id: 'S', createdAt: 1 },
      absorbed: { id: 'B', createdAt: 2 },
      tree: TYPO_TREE,
      events: TYPO_EVENTS,
      identities: TYPO_IDS,
      merge: { cause: 'anonymous_id:k1', causeMessageId: 'typo', createdAt: MERGED_AT },
      now: 999,
    });
    expect(split.moved).toEqual(['B']);
    expect(split.movedEvents).toEqual(['typo', 'bob-2', 'bob-3', 'bob-4']);
    expect(split.survivor).toMatchObject({ id: 'S', traits: { email: 'ana@example.com', name: 'Ana', plan: 'pro' }, eventCount: 4, revenue: 42, firstSeen: 100, lastSeen: 900, mergeCount: 0 });
    expect(split.survivor.computed.eventCounts).toEqual({ 'Order Completed': 2, Viewed: 1 });
    // The traits of the merge-causing event went with Bob (his name, his phone); his later correction of the email wins.
    expect(split.restored).toMatchObject({ id: 'B', canonicalId: 'B', mergedInto: null, traits: { name: 'Bob Budi', phone: '+6281234567890', email: 'bob@example.com' }, eventCount: 5, revenue: 0, firstSeen: 200, lastSeen: 700 });
    expect(split.members).toEqual({ add: [], remove: [] });
  });

  it.each([
    ['the absorbed person set it first', 100, 200, 'kiosk'],
    ['the survivor set it first', 200, 100, 'newsletter'],
  ])('leaves set-once traits as each side set them (%s)', (_label, bobAt, anaAt, mergedValue) => {
    const once = (value: string) => ({ traitOps: { setOnce: { firstSource: value } } });
    const events: TreeEvent[] = [
      { profileId: 'B', event: ev({ t: bobAt, ...identify({ anonymousId: 'k1', context: once('kiosk') }), messageId: 'bob-0' }) },
      { profileId: 'S', event: ev({ t: anaAt, ...identify({ userId: 'ana', traits: { email: 'ana@example.com' }, context: once('newsletter') }), messageId: 'ana-0' }) },
      { profileId: 'S', event: ev({ t: 300, ...identify({ anonymousId: 'k1', traits: { email: 'ana@example.com' } }), messageId: 'typo' }) },
      { profileId: 'S', event: ev({ t: 400, ...identify({ userId: 'ana', context: once('ad') }), messageId: 'ana-late' }) },
    ].sort((a, b) => a.event.timestamp - b.event.timestamp);
    // While merged, the person holds the earliest set-once by event time, whoever sent it.
    const merged = runPlan([], events.map((e) => e.event));
    expect(merged.profiles.find((p) => p.canonicalId === p.id)!.traits.firstSource).toBe(mergedValue);
    const split = planSplit({
      survivor: { id: 'S', createdAt: 1 },
      absorbed: { id: 'B', createdAt: 2 },
      tree: TYPO_TREE,
      events,
      identities: ids([['user_id:ana', 'S'], ['email:ana@example.com', 'S'], ['anonymous_id:k1', 'B']]),
      merge: { cause: 'anonymous_id:k1', causeMessageId: 'typo', createdAt: MERGED_AT },
      now: 999,
    });
    expect(split.survivor.traits.firstSource).toBe('newsletter');
    expect(split.restored.traits.firstSource).toBe('kiosk');
  });

  it('splitting a force-merge gives each side exactly its own events, before and after the merge', () => {
    const events = stored([
      ['S', 'old-1', identify({ userId: 'old-account', traits: { tier: 'gold' } })],
      ['B', 'new-1', identify({ userId: 'new-account', traits: { city: 'Bandung' } })],
      ['S', 'old-2', { event: 'Order Completed', userId: 'old-account', properties: { total: 5 } }],
      ['S', 'new-2', { event: 'Viewed', userId: 'new-account', anonymousId: 'new-laptop' }],
      ['S', 'new-3', { event: 'Viewed', anonymousId: 'new-laptop' }],
      ['S', 'old-3', identify({ userId: 'old-account', traits: { tier: 'platinum' } })],
    ]);
    const identities = ids([['user_id:old-account', 'S'], ['user_id:new-account', 'B'], ['anonymous_id:new-laptop', 'S', 'while merged']]);
    const split = planSplit({
      survivor: { id: 'S', createdAt: 1 },
      absorbed: { id: 'B', createdAt: 2 },
      tree: [{ id: 'S', mergedInto: null }, { id: 'B', mergedInto: 'S' }],
      events,
      identities,
      merge: FORCE,
      now: 999,
    });
    expect(split.movedEvents).toEqual(['new-2', 'new-3']);
    expect(split.movedIdentities).toEqual([{ type: 'anonymous_id', value: 'new-laptop' }]);
    expect(split.survivor).toMatchObject({ traits: { tier: 'platinum' }, eventCount: 3, revenue: 5 });
    expect(split.restored).toMatchObject({ traits: { city: 'Bandung' }, eventCount: 3, revenue: 0 });
  });

  it.each<[string, [string, string, Partial<StoredEvent>][], { add: string[]; remove: string[] }]>([
    ['their group call while merged moves the account membership to them', [['S', 'g', { type: 'group', event: null, anonymousId: 'k1', groupId: 'acme' }]], { add: ['acme B'], remove: ['acme S'] }],
    [
      'the survivor keeps a membership it made by its own call',
      [['S', 'own', { type: 'group', event: null, userId: 'ana', groupId: 'acme' }], ['S', 'g', { type: 'group', event: null, anonymousId: 'k1', groupId: 'acme' }]],
      { add: ['acme B'], remove: [] },
    ],
    ['a group call of the survivor stays', [['S', 'own', { type: 'group', event: null, userId: 'ana', groupId: 'acme' }]], { add: [], remove: [] }],
  ])('accounts: %s', (_case, rows, expected) => {
    const split = planSplit({
      survivor: { id: 'S', createdAt: 1 },
      absorbed: { id: 'B', createdAt: 2 },
      tree: [{ id: 'S', mergedInto: null }, { id: 'B', mergedInto: 'S' }],
      events: stored(rows),
      identities: ids([['user_id:ana', 'S'], ['anonymous_id:k1', 'B']]),
      merge: FORCE,
      now: 999,
    });
    const show = (ms: { groupId: string; profileId: string }[]) => ms.map((m) => `${m.groupId} ${m.profileId}`);
    expect({ add: show(split.members.add), remove: show(split.members.remove) }).toEqual(expected);
  });

  it('takes a nested subtree out with what its members sent while merged', () => {
    // D was merged into B, then B into S; splitting B takes D along, and D's later events.
    const split = planSplit({
      survivor: { id: 'S', createdAt: 1 },
      absorbed: { id: 'B', createdAt: 2 },
      tree: [{ id: 'S', mergedInto: null }, { id: 'B', mergedInto: 'S' }, { id: 'D', mergedInto: 'B' }, { id: 'C', mergedInto: 'S' }],
      events: stored([
        ['S', 's1', { userId: 'ana' }],
        ['C', 'c1', { anonymousId: 'c-phone' }],
        ['D', 'd1', { anonymousId: 'd-tablet' }],
        ['B', 'b1', { anonymousId: 'k1' }],
        ['S', 'd2', { anonymousId: 'd-tablet' }],
        ['S', 'c2', { anonymousId: 'c-phone' }],
      ]),
      identities: ids([['user_id:ana', 'S'], ['anonymous_id:c-phone', 'C'], ['anonymous_id:d-tablet', 'D'], ['anonymous_id:k1', 'B']]),
      merge: FORCE,
      now: 999,
    });
    expect(split.moved.sort()).toEqual(['B', 'D']);
    expect(split.movedEvents).toEqual(['d2']);
    expect(split.survivor).toMatchObject({ eventCount: 3, mergeCount: 1 });
    expect(split.restored).toMatchObject({ id: 'B', eventCount: 3, mergeCount: 1 });
  });
});

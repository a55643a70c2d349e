import { describe, expect, it } from 'vitest';
import type { IdentityCounters } from './planner';
import { ev, finalProfiles, groupsOf, runPlan, type GivenProfile, type RunOptions } from './test-fixtures';

interface Case {
  name: string;
  given?: GivenProfile[];
  events: ReturnType<typeof ev>[];
  opts?: RunOptions;
  /** Event indexes that end in the same profile. */
  groups: number[][];
  /** Final profile per event when it must be an existing one (or null: no profile). */
  profiles?: (string | null | undefined)[];
  counters?: Partial<IdentityCounters>;
  merges?: number;
}

const identify = (userId: string | null, anonymousId: string | null, traits: Record<string, unknown> = {}, t = 1_000) =>
  ev({ type: 'identify', event: null, userId, anonymousId, traits, t });
const page = (anonymousId: string, t = 1_000) => ev({ type: 'page', event: null, anonymousId, t });
const track = (ids: { userId?: string; anonymousId?: string }, t = 1_000) =>
  ev({ type: 'track', event: 'Viewed', userId: ids.userId ?? null, anonymousId: ids.anonymousId ?? null, t });

const cases: Case[] = [
  {
    name: 'anonymous visit then identify: one profile, the anonymous id stitched to the user',
    events: [page('a1'), identify('u1', 'a1'), track({ userId: 'u1' })],
    groups: [[0, 1, 2]],
    counters: { profilesCreated: 1, merges: 0 },
  },
  {
    name: 'the same user on two devices: the second device merges into the user',
    events: [identify('u1', 'a1'), page('a2'), identify('u1', 'a2'), page('a1'), page('a2')],
    groups: [[0, 1, 2, 3, 4]],
    counters: { profilesCreated: 2, merges: 1 },
    merges: 1,
  },
  {
    name: 'shared device without reset(): the second user gets a new profile, the anonymous id stays',
    events: [identify('u1', 'a1'), identify('u2', 'a1'), page('a1'), track({ userId: 'u2' })],
    groups: [[0, 2], [1, 3]],
    counters: { userIdConflicts: 1, merges: 0, profilesCreated: 2 },
  },
  {
    name: 'shared device with reset(): a fresh anonymous id, two profiles, nothing refused',
    events: [identify('u1', 'a1'), identify('u2', 'a2'), page('a2')],
    groups: [[0], [1, 2]],
    counters: { userIdConflicts: 0, profilesCreated: 2 },
  },
  {
    name: 'an event naming two known users never merges them; the lower-priority id is dropped',
    given: [
      { id: 'P1', ids: ['user_id:u1', 'anonymous_id:a1'] },
      { id: 'P2', ids: ['user_id:u2', 'anonymous_id:a2'] },
    ],
    events: [track({ userId: 'u1', anonymousId: 'a2' })],
    groups: [[0]],
    profiles: ['P1'],
    counters: { userIdConflicts: 1, merges: 0 },
  },
  {
    name: 'email-only identify (CRM import) joins the known user, case and spaces ignored',
    given: [{ id: 'P1', ids: ['user_id:u1', 'email:ana@example.com'] }],
    events: [identify(null, null, { email: '  Ana@Example.COM ', plan: 'pro' })],
    groups: [[0]],
    profiles: ['P1'],
    counters: { profilesCreated: 0 },
  },
  {
    name: 'email links an anonymous profile to the known user through a merge',
    given: [
      { id: 'P1', ids: ['user_id:u1', 'email:ana@example.com'] },
      { id: 'P2', ids: ['anonymous_id:a9'] },
    ],
    events: [identify(null, 'a9', { email: 'ana@example.com' })],
    groups: [[0]],
    profiles: ['P1'],
    merges: 1,
  },
  {
    name: 'phone in a national format matches the stored E.164 with the default country',
    given: [{ id: 'P1', ids: ['phone:+442079460018'] }],
    events: [identify(null, 'a5', { phone: '020 7946 0018' })],
    opts: { defaultCountry: 'GB' },
    groups: [[0]],
    profiles: ['P1'],
  },
  {
    name: 'junk ids are never identifiers: two "undefined" users stay apart, junk-only events get no profile',
    events: [identify('undefined', 'a1'), identify('"undefined"', 'a2'), track({ userId: 'null', anonymousId: '00000000-0000-0000-0000-000000000000' })],
    groups: [[0], [1]],
    profiles: [undefined, undefined, null],
    counters: { junkIds: 4, profilesCreated: 2 },
  },
  {
    name: 'alias links the previous anonymous id to the user id',
    events: [page('a1'), ev({ type: 'alias', event: null, previousId: 'a1', userId: 'u1' }), track({ userId: 'u1' })],
    groups: [[0, 1, 2]],
    counters: { profilesCreated: 1 },
  },
  {
    name: 'alias renames a user id (old -> new) without a user_id conflict',
    given: [{ id: 'P1', ids: ['user_id:old'] }],
    events: [ev({ type: 'alias', event: null, previousId: 'old', userId: 'new' }), track({ userId: 'new' })],
    groups: [[0, 1]],
    profiles: ['P1', 'P1'],
    counters: { userIdConflicts: 0 },
  },
  {
    name: 'alias joins two established users: a rename whose new id was used before the alias arrived',
    given: [
      { id: 'P1', ids: ['user_id:u1'] },
      { id: 'P2', ids: ['user_id:u2'] },
    ],
    events: [ev({ type: 'alias', event: null, previousId: 'u1', userId: 'u2' })],
    groups: [[0]],
    profiles: ['P2'],
    counters: { userIdConflicts: 0, merges: 1 },
  },
  {
    name: 'identifier cap: past it, events still resolve but new ids are not linked',
    given: [{ id: 'P1', ids: ['user_id:u1'], identityCount: 3 }],
    events: [identify('u1', 'a-new')],
    opts: { caps: { maxIdentifiers: 3 } },
    groups: [[0]],
    profiles: ['P1'],
    counters: { identifierCap: 1 },
  },
  {
    name: 'merge cap: a profile that absorbed too many is not merged again',
    given: [
      { id: 'P1', ids: ['user_id:u1'], mergeCount: 2 },
      { id: 'P2', ids: ['anonymous_id:a2'] },
    ],
    events: [identify('u1', 'a2')],
    opts: { caps: { maxMerges: 2 } },
    groups: [[0]],
    profiles: ['P1'],
    counters: { mergeCap: 1, merges: 0 },
  },
  {
    name: 'a pair split after a wrong merge is not merged again automatically',
    given: [
      { id: 'P1', ids: ['user_id:u1', 'anonymous_id:a1'] },
      { id: 'P2', ids: ['anonymous_id:a2'] },
    ],
    events: [identify('u1', 'a2'), page('a2')],
    opts: { blocked: [['P2', 'P1']] },
    groups: [[0], [1]],
    profiles: ['P1', 'P2'],
    counters: { splitBlocks: 1, merges: 0 },
  },
  {
    name: 'three devices merge in one batch; every tree points at the final root',
    given: [
      { id: 'P1', ids: ['anonymous_id:a1'] },
      { id: 'P2', ids: ['anonymous_id:a2'] },
      { id: 'P3', ids: ['user_id:u1'] },
    ],
    events: [ev({ type: 'track', anonymousId: 'a1', context: { externalIds: [{ id: 'c-7', type: 'crm_id' }] } }), identify(null, 'a2', { email: 'x@y.io' }), ev({ type: 'identify', event: null, userId: 'u1', anonymousId: 'a1', traits: { email: 'x@y.io' } })],
    groups: [[0, 1, 2]],
    merges: 2,
  },
];

describe('planBatch: merge planner', () => {
  it.each(cases)('$name', (c) => {
    const plan = runPlan(c.given ?? [], c.events, c.opts);
    const groups = groupsOf(plan).map((g) => g.sort()).sort((a, b) => a[0] - b[0]);
    expect(groups).toEqual(c.groups);
    if (c.profiles) {
      finalProfiles(plan).forEach((id, i) => {
        if (c.profiles![i] !== undefined) expect(id).toBe(c.profiles![i]);
      });
    }
    if (c.counters) expect(plan.counters).toMatchObject(c.counters);
    if (c.merges !== undefined) expect(plan.merges).toHaveLength(c.merges);
  });

  it('re-points absorbed trees at the final root and guards every profile it read', () => {
    const plan = runPlan(
      [
        { id: 'P1', ids: ['anonymous_id:a1'] },
        { id: 'P2', ids: ['anonymous_id:a2'] },
        { id: 'P3', ids: ['user_id:u1'] },
      ],
      [identify(null, 'a1', { email: 'x@y.io' }), identify(null, 'a2', { email: 'x@y.io' }), identify('u1', 'a1')],
    );
    expect(plan.canonicalMoves.sort((a, b) => a.from.localeCompare(b.from))).toEqual([
      { from: 'P1', to: 'P3', parent: 'P3' },
      { from: 'P2', to: 'P3', parent: 'P1' },
    ]);
    expect(plan.guard.sort((a, b) => a.id.localeCompare(b.id))).toEqual(['P1', 'P2', 'P3'].map((id) => ({ id, version: 3 })));
    expect(plan.touchedProfileIds).toEqual(['P3']);
    expect(plan.absorbedProfileIds.sort()).toEqual(['P1', 'P2']);
    const p3 = plan.profiles.find((p) => p.id === 'P3')!;
    expect(p3.eventCount).toBe(3);
    expect(p3.mergeCount).toBe(2);
  });

  it('links each new identifier once, to the profile that claimed it first', () => {
    const plan = runPlan([], [identify('u1', 'a1', { email: 'A@b.co' }), identify('u1', 'a1', { email: 'a@b.co' })]);
    expect(plan.identities.map((i) => `${i.type}:${i.value}`).sort()).toEqual(['anonymous_id:a1', 'email:a@b.co', 'user_id:u1']);
    expect(new Set(plan.identities.map((i) => i.profileId)).size).toBe(1);
  });
});

describe('planBatch: traits', () => {
  const traitsAfter = (given: GivenProfile[], events: ReturnType<typeof ev>[]) => {
    const plan = runPlan(given, events);
    return plan.profiles.find((p) => p.canonicalId === p.id)!.traits;
  };

  it.each([
    ['out of order: the older write arrives last and loses', [identify('u1', null, { plan: 'pro' }, 200), identify('u1', null, { plan: 'free' }, 100)], { plan: 'pro' }],
    ['in order: the newer write wins', [identify('u1', null, { plan: 'free' }, 100), identify('u1', null, { plan: 'pro' }, 200)], { plan: 'pro' }],
    ['null removes a trait', [identify('u1', null, { plan: 'pro', age: 3 }, 100), identify('u1', null, { age: null }, 200)], { plan: 'pro' }],
    ['an older set does not resurrect a newer removal', [identify('u1', null, { age: null }, 300), identify('u1', null, { age: 3 }, 250)], {}],
    [
      'setOnce fills a gap and never overwrites',
      [
        ev({ type: 'identify', event: null, userId: 'u1', traits: { a: 1 }, context: { traitOps: { setOnce: { a: 2, first: 'x' } } }, t: 100 }),
        ev({ type: 'identify', event: null, userId: 'u1', context: { traitOps: { setOnce: { first: 'y' } } }, t: 200 }),
      ],
      { a: 1, first: 'x' },
    ],
    [
      'unset through traitOps, newest wins',
      [
        identify('u1', null, { a: 1, b: 2 }, 100),
        ev({ type: 'identify', event: null, userId: 'u1', context: { traitOps: { unset: ['a'] } }, t: 200 }),
        identify('u1', null, { a: 9 }, 150),
      ],
      { b: 2 },
    ],
  ])('%s', (_name, events, expected) => {
    expect(traitsAfter([], events)).toEqual(expected);
  });

  it('a merge keeps, per trait, the value written last by event time', () => {
    const plan = runPlan(
      [
        { id: 'P1', ids: ['user_id:u1'], traits: { plan: 'free', city: 'Oslo' }, traitTimes: { plan: 100, city: 500 } },
        { id: 'P2', ids: ['anonymous_id:a2'], traits: { plan: 'pro', city: 'Rome' }, traitTimes: { plan: 300, city: 50 } },
      ],
      [identify('u1', 'a2', {}, 600)],
    );
    expect(plan.profiles.find((p) => p.id === 'P1')!.traits).toEqual({ plan: 'pro', city: 'Oslo' });
  });

  it('leaves the profiles it was handed as they were read (a retry re-plans from them)', () => {
    const given: GivenProfile[] = [
      { id: 'P1', ids: ['user_id:u1'], traits: { plan: 'free', address: { city: 'Oslo' } }, traitTimes: { plan: 100, address: 100 } },
      { id: 'P2', ids: ['anonymous_id:a2'], traits: { plan: 'pro' }, traitTimes: { plan: 300 } },
    ];
    const before = structuredClone(given);
    runPlan(given, [
      identify('u1', 'a2', { plan: 'team', address: { city: 'Bergen' } }, 600),
      ev({ userId: 'u1', event: 'Order Completed', properties: { revenue: 5 }, context: { consent: { categoryPreferences: { ads: true } } }, t: 700 }),
    ]);
    expect(given).toEqual(before);
  });
});

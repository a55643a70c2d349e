import fc from 'fast-check';
import type { JsonObject, Message } from '../../../sdk/src/contract';

// Random small customer journeys for the order-independence properties (planner-level in
// journeys.test.ts, whole resolver on D1 in collector/test/delivery-order.test.ts). Test code only.
//
// People never share an identifier, and the user ids one person uses are always joined by alias
// (a rename chain u0 -> u1 -> u2): two user ids that no alias joins are two people to the guards,
// and what they share is decided by arrival (README, Identity and profiles, Delivery order;
// asserted explicitly in collector/test/delivery-order.test.ts).
// Trait names are chosen so the one order-dependent trait case (a removal with a later setOnce of
// the same trait that arrives first) cannot occur: `plan` gets sets and removals, `firstPlan` only
// setOnce, `source` sets and setOnce but no removal.

/** Which of a person's ids a message is sent under: user id k (`p0-u1`) or device j (`p0-d2`). */
export type Who = { user: number } | { device: number };

export type Step = { person: number; at: number } & (
  | { kind: 'page'; device: number; touch: number | undefined; ua: number | undefined }
  | { kind: 'track'; as: Who; event: 'Product Viewed' | 'Order Completed'; revenue: number; consent: boolean | undefined }
  | {
      kind: 'identify';
      user: number | null;
      device: number | null;
      email: boolean;
      /** Index into PHONE_FORMS, or null: no phone. */
      phone: number | null;
      plan: 'free' | 'pro' | 'trial' | null | undefined;
      firstPlan: string | undefined;
      source: { value: string; once: boolean } | undefined;
    }
  | { kind: 'alias'; from: Who; device: number | null }
  | { kind: 'group'; as: Who; account: number; tier: string | undefined; since: string | undefined }
);

export interface Journey {
  people: number;
  steps: Step[];
  /** Per person, the event times (minutes) of the renames u0 -> u1 and u1 -> u2, sent when needed. */
  renames: [number, number][];
  /**
   * Timestamps in whole minutes within the first few minutes, so many events share one (as
   * imports and server libraries with coarse clocks send them); otherwise every one is distinct.
   */
  coarse: boolean;
}

export const MAX_USERS = 3;
export const MAX_DEVICES = 3;
const BASE = Date.parse('2026-01-05T00:00:00.000Z');

/** One person's phone as people type it: each form normalises to the same E.164 value. */
const PHONE_FORMS = [(p: number) => `+62 812-3456-78${p}0`, (p: number) => `62812345678${p}0`, (p: number) => `+62 (0)812 3456 78${p}0`];

/** Where a visit came from (first and last touch). */
const TOUCHES: JsonObject[] = [{ page: { referrer: 'https://www.google.com/' } }, { campaign: { name: 'spring' } }, { campaign: { name: 'sale' }, page: { referrer: 'https://t.co/' } }];

/** What a browser says about itself; each carries only some keys (the others stay as older events set them). */
const CONTEXTS: JsonObject[] = [
  { device: { type: 'mobile' }, os: { name: 'Android' } },
  { os: { name: 'iOS' } },
  { device: { type: 'desktop' }, browser: { name: 'Firefox' } },
];

const who = fc.oneof(fc.record({ user: fc.integer({ min: 0, max: MAX_USERS - 1 }) }), fc.record({ device: fc.integer({ min: 0, max: MAX_DEVICES - 1 }) }));
const device = fc.integer({ min: 0, max: MAX_DEVICES - 1 });
/** Event time in minutes (see Journey.coarse). */
const at = fc.integer({ min: 0, max: 600 });

const stepOf = (people: number): fc.Arbitrary<Step> => {
  const person = fc.integer({ min: 0, max: people - 1 });
  return fc.oneof(
    {
      weight: 2,
      arbitrary: fc.record({
        kind: fc.constant('page' as const),
        person,
        at,
        device,
        touch: fc.option(fc.integer({ min: 0, max: TOUCHES.length - 1 }), { nil: undefined }),
        ua: fc.option(fc.integer({ min: 0, max: CONTEXTS.length - 1 }), { nil: undefined }),
      }),
    },
    {
      weight: 3,
      arbitrary: fc.record({
        kind: fc.constant('track' as const),
        person,
        at,
        as: who,
        event: fc.constantFrom('Product Viewed' as const, 'Order Completed' as const),
        revenue: fc.integer({ min: 0, max: 50 }),
        consent: fc.option(fc.boolean(), { nil: undefined }),
      }),
    },
    {
      weight: 4,
      arbitrary: fc.record({
        kind: fc.constant('identify' as const),
        person,
        at,
        user: fc.option(fc.integer({ min: 0, max: MAX_USERS - 1 })),
        device: fc.option(device),
        email: fc.boolean(),
        phone: fc.option(fc.integer({ min: 0, max: PHONE_FORMS.length - 1 }), { freq: 3 }),
        plan: fc.constantFrom('free' as const, 'pro' as const, 'trial' as const, null, undefined),
        firstPlan: fc.option(fc.constantFrom('free', 'pro', 'trial'), { nil: undefined }),
        source: fc.option(fc.record({ value: fc.constantFrom('ads', 'friend', 'search'), once: fc.boolean() }), { nil: undefined }),
      }),
    },
    {
      weight: 2,
      arbitrary: fc.record({
        kind: fc.constant('alias' as const),
        person,
        at,
        // From user k to user k+1 (a rename chain u0 -> u1 -> u2), or from a device to user 0.
        from: fc.oneof(fc.record({ user: fc.integer({ min: 0, max: MAX_USERS - 2 }) }), fc.record({ device })),
        device: fc.option(device),
      }),
    },
    {
      weight: 1,
      arbitrary: fc.record({
        kind: fc.constant('group' as const),
        person,
        at,
        as: who,
        account: fc.integer({ min: 0, max: 1 }),
        tier: fc.option(fc.constantFrom('gold', 'silver'), { nil: undefined }),
        since: fc.option(fc.constantFrom('2019', '2021'), { nil: undefined }),
      }),
    },
  );
};

/** 2-4 people and 4-`maxSteps` steps. */
export const journeyArb = (maxSteps = 16): fc.Arbitrary<Journey> =>
  fc.integer({ min: 2, max: 4 }).chain((people) =>
    fc.record({
      people: fc.constant(people),
      steps: fc.array(stepOf(people), { minLength: 4, maxLength: maxSteps }),
      renames: fc.array(fc.tuple(at, at), { minLength: people, maxLength: people }),
      coarse: fc.boolean(),
    }),
  );

/** The highest user index each person uses anywhere (-1: none). */
function highestUser(j: Journey): number[] {
  const high = Array.from({ length: j.people }, () => -1);
  const use = (p: number, k: number) => (high[p] = Math.max(high[p], k));
  for (const s of j.steps) {
    if ((s.kind === 'track' || s.kind === 'group') && 'user' in s.as) use(s.person, s.as.user);
    if (s.kind === 'identify' && s.user !== null) use(s.person, s.user);
    if (s.kind === 'alias') use(s.person, 'user' in s.from ? s.from.user + 1 : 0);
  }
  return high;
}

const idsOf = (person: number, w: Who) => ('user' in w ? { userId: `p${person}-u${w.user}` } : { anonymousId: `p${person}-d${w.device}` });

/** The Segment messages of a journey, in step order; message i has messageId `m{i}` and a distinct timestamp. */
export function journeyMessages(j: Journey): Message[] {
  // The renames a person needs so that every user id they use is joined to the others.
  const renames: Step[] = highestUser(j).flatMap((high, person) =>
    [0, 1].filter((k) => k < high).map((k) => ({ kind: 'alias' as const, person, at: j.renames[person][k], from: { user: k }, device: null })),
  );
  return [...j.steps, ...renames].map((s, i) => {
    const time = j.coarse ? BASE + (s.at % 4) * 60_000 : BASE + s.at * 60_000 + i;
    const base = { messageId: `m${i}`, timestamp: new Date(time).toISOString() };
    const p = s.person;
    switch (s.kind) {
      case 'page':
        return {
          ...base,
          type: 'page',
          name: 'Home',
          anonymousId: `p${p}-d${s.device}`,
          context: { ...(s.touch !== undefined ? TOUCHES[s.touch] : {}), ...(s.ua !== undefined ? CONTEXTS[s.ua] : {}) },
        };
      case 'track':
        return {
          ...base,
          type: 'track',
          event: s.event,
          properties: s.event === 'Order Completed' ? { revenue: s.revenue } : {},
          ...idsOf(p, s.as),
          ...(s.consent !== undefined ? { context: { consent: { categoryPreferences: { Ads: s.consent } } } } : {}),
        };
      case 'identify': {
        const traits: JsonObject = {};
        const setOnce: JsonObject = {};
        if (s.email || (s.user === null && s.device === null && s.phone === null)) traits.email = `P${p}@Example.com`;
        if (s.phone !== null) traits.phone = PHONE_FORMS[s.phone](p);
        if (s.plan !== undefined) traits.plan = s.plan;
        if (s.firstPlan !== undefined) setOnce.firstPlan = s.firstPlan;
        if (s.source) (s.source.once ? setOnce : traits).source = s.source.value;
        return {
          ...base,
          type: 'identify',
          ...(s.user !== null ? { userId: `p${p}-u${s.user}` } : {}),
          ...(s.device !== null ? { anonymousId: `p${p}-d${s.device}` } : {}),
          traits,
          ...(Object.keys(setOnce).length > 0 ? { context: { traitOps: { setOnce } } } : {}),
        };
      }
      case 'alias': {
        const to = 'user' in s.from ? s.from.user + 1 : 0;
        const previousId = 'user' in s.from ? `p${p}-u${s.from.user}` : `p${p}-d${s.from.device}`;
        return { ...base, type: 'alias', userId: `p${p}-u${to}`, previousId, ...(s.device !== null ? { anonymousId: `p${p}-d${s.device}` } : {}) };
      }
      case 'group': {
        const traits: JsonObject = s.tier ? { tier: s.tier } : {};
        return {
          ...base,
          type: 'group',
          groupId: `acct-${s.account}`,
          traits,
          ...idsOf(p, s.as),
          ...(s.since ? { context: { traitOps: { setOnce: { since: s.since } } } } : {}),
        };
      }
    }
  }) as Message[];
}

/** mulberry32: a seeded PRNG, so a delivery order is reproducible from its seed. */
export function prng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function shuffle<T>(items: readonly T[], random: () => number): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const k = Math.floor(random() * (i + 1));
    [out[i], out[k]] = [out[k], out[i]];
  }
  return out;
}

/**
 * The three deliveries of one journey, as requests (each a list of messages): one by one in
 * event-time order (the reference), one by one in a random order, and regrouped into random
 * batches of 1-5 in a random order.
 *
 * @example
 * deliveries(journeyMessages(j), 7).reference // -> [[m3], [m0], [m1], ...] by timestamp
 */
export function deliveries<M extends { timestamp?: string }>(messages: readonly M[], seed: number): Record<'reference' | 'shuffled' | 'regrouped', M[][]> {
  const random = prng(seed);
  const byTime = [...messages].sort((a, b) => Date.parse(a.timestamp!) - Date.parse(b.timestamp!));
  const regrouped: M[][] = [];
  const rest = shuffle(messages, random);
  while (rest.length > 0) regrouped.push(rest.splice(0, 1 + Math.floor(random() * 5)));
  return { reference: byTime.map((m) => [m]), shuffled: shuffle(messages, random).map((m) => [m]), regrouped };
}

/** A journey as readable lines in event-time order, for failure messages. */
export function describeJourney(messages: readonly Message[]): string {
  return [...messages]
    .sort((a, b) => Date.parse(a.timestamp!) - Date.parse(b.timestamp!))
    .map((m) => JSON.stringify(m))
    .join('\n');
}

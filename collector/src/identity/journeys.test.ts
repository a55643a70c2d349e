import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { JsonObject, Message } from '../../../sdk/src/contract';
import { deliveries, describeJourney, journeyArb, journeyMessages } from './test-journeys';
import { canonicalForm, memoryResolver } from './test-world';

const stateAfter = (requests: readonly Message[][]) => {
  const r = memoryResolver();
  for (const batch of requests) r.deliver(batch);
  return canonicalForm(r.world());
};

describe('the planner does not depend on delivery order (property over random journeys)', () => {
  it('one by one in time order, one by one shuffled, and regrouped batches give the same profiles', () => {
    fc.assert(
      fc.property(journeyArb(), fc.nat(), (journey, seed) => {
        const messages = journeyMessages(journey);
        const ways = deliveries(messages, seed);
        const reference = stateAfter(ways.reference);
        for (const name of ['shuffled', 'regrouped'] as const) {
          expect(stateAfter(ways[name]), `${name} delivery (seed ${seed}) of\n${describeJourney(messages)}`).toEqual(reference);
        }
        // A single batch (the resolver after an outage) too.
        expect(stateAfter([[...messages].reverse()]), `one batch of\n${describeJourney(messages)}`).toEqual(reference);
      }),
      { numRuns: 400 },
    );
  });
});

/** Every order of `items` (n! of them; the journeys below have at most 6 messages). */
function permutations<T>(items: readonly T[]): T[][] {
  if (items.length <= 1) return [[...items]];
  return items.flatMap((item, i) => permutations([...items.slice(0, i), ...items.slice(i + 1)]).map((rest) => [item, ...rest]));
}

const at = (minute: number) => new Date(Date.parse('2026-03-01T09:00:00.000Z') + minute * 60_000).toISOString();
let seq = 0;
const msg = (minute: number, m: Omit<Message, 'timestamp' | 'messageId'>): Message => ({ ...m, messageId: `t${++seq}`, timestamp: at(minute) });
const setOnce = (traits: JsonObject) => ({ traitOps: { setOnce: traits } });

describe('the planner over every delivery order of small journeys', () => {
  it.each<{ name: string; messages: Message[]; profiles: string[]; expected?: Record<string, JsonObject> }>([
    {
      name: 'an alias chain a -> b -> c, with events under each id',
      messages: [
        msg(0, { type: 'track', event: 'Viewed', userId: 'a' }),
        msg(1, { type: 'alias', userId: 'b', previousId: 'a' }),
        msg(2, { type: 'identify', userId: 'b', traits: { email: 'ana@x.io' } }),
        msg(3, { type: 'alias', userId: 'c', previousId: 'b' }),
        msg(4, { type: 'track', event: 'Order Completed', userId: 'c', properties: { revenue: 9 } }),
      ],
      profiles: ['anonymous_id:a anonymous_id:b email:ana@x.io user_id:a user_id:b user_id:c'],
    },
    {
      name: 'two devices stitched by logins, with late anonymous events',
      messages: [
        msg(0, { type: 'page', name: 'Home', anonymousId: 'd1' }),
        msg(1, { type: 'page', name: 'Home', anonymousId: 'd2' }),
        msg(2, { type: 'identify', userId: 'u', anonymousId: 'd1' }),
        msg(3, { type: 'identify', userId: 'u', anonymousId: 'd2' }),
        msg(4, { type: 'track', event: 'Viewed', anonymousId: 'd1' }),
        msg(5, { type: 'track', event: 'Viewed', anonymousId: 'd3' }),
      ],
      profiles: ['anonymous_id:d1 anonymous_id:d2 user_id:u', 'anonymous_id:d3'],
    },
    {
      name: 'a setOnce keeps the earliest event\'s value across a merge, whichever arrives first',
      messages: [
        msg(3, { type: 'identify', anonymousId: 'd1', traits: { plan: 'pro' }, context: setOnce({ firstPlan: 'pro' }) }),
        msg(1, { type: 'identify', anonymousId: 'd2', traits: { plan: 'free' }, context: setOnce({ firstPlan: 'free' }) }),
        msg(4, { type: 'identify', userId: 'u', anonymousId: 'd1' }),
        msg(5, { type: 'identify', userId: 'u', anonymousId: 'd2', traits: { plan: 'basic' } }),
        msg(6, { type: 'identify', userId: 'u', context: setOnce({ firstPlan: 'trial', plan: 'trial' }) }),
      ],
      profiles: ['anonymous_id:d1 anonymous_id:d2 user_id:u'],
      expected: { 'anonymous_id:d1 anonymous_id:d2 user_id:u': { traits: { firstPlan: 'free', plan: 'basic' } } },
    },
    {
      name: 'an imported email, a web login with it, and a rename',
      messages: [
        msg(0, { type: 'identify', traits: { email: 'Bo@X.io', name: 'Bo' } }),
        msg(1, { type: 'page', name: 'Home', anonymousId: 'd1' }),
        msg(2, { type: 'identify', userId: 'bo', anonymousId: 'd1', traits: { email: 'bo@x.io' } }),
        msg(3, { type: 'alias', userId: 'bo-2', previousId: 'bo' }),
        msg(4, { type: 'group', groupId: 'acme', userId: 'bo-2', traits: { tier: 'gold' } }),
      ],
      profiles: ['anonymous_id:bo anonymous_id:d1 email:bo@x.io user_id:bo user_id:bo-2'],
    },
    {
      name: 'writes of one millisecond: by value, not by arrival',
      messages: [
        msg(0, { type: 'identify', userId: 'u', traits: { plan: 'free' }, context: setOnce({ source: 'ads' }) }),
        msg(0, { type: 'identify', userId: 'u', traits: { plan: 'pro' }, context: setOnce({ source: 'search' }) }),
        msg(0, { type: 'track', event: 'Viewed', userId: 'u', context: { consent: { categoryPreferences: { Ads: true } } } }),
        msg(0, { type: 'track', event: 'Viewed', userId: 'u', context: { consent: { categoryPreferences: { Ads: false } } } }),
      ],
      profiles: ['user_id:u'],
      expected: { 'user_id:u': { traits: { plan: 'pro', source: 'ads' }, consent: { Ads: { granted: false } } } },
    },
    {
      // Two touches at minute 2: ordered by JSON text ([null, {...}] after ["https://...", null]).
      name: 'a late event with an older context fills what the newer ones did not say',
      messages: [
        msg(0, { type: 'page', name: 'Home', anonymousId: 'd1', context: { os: { name: 'iOS' }, campaign: { name: 'spring' } } }),
        msg(1, { type: 'page', name: 'Home', anonymousId: 'd1', context: { device: { type: 'mobile' } } }),
        msg(2, { type: 'page', name: 'Home', anonymousId: 'd1', context: { os: { name: 'iPadOS' }, campaign: { name: 'sale' } } }),
        msg(2, { type: 'page', name: 'Home', anonymousId: 'd1', context: { page: { referrer: 'https://t.co/' } } }),
      ],
      profiles: ['anonymous_id:d1'],
      expected: {
        'anonymous_id:d1': {
          computed: { device: { type: 'mobile' }, os: { name: 'iPadOS' }, firstTouch: { campaign: { name: 'spring' } }, lastTouch: { referrer: null, campaign: { name: 'sale' } } },
        },
      },
    },
  ])('$name', ({ messages, profiles, expected }) => {
    const reference = stateAfter(messages.map((m) => [m]));
    expect(Object.keys(reference.profiles).sort()).toEqual(profiles);
    for (const [label, profile] of Object.entries(expected ?? {})) expect(reference.profiles[label]).toMatchObject(profile);
    for (const order of permutations(messages)) {
      const why = order.map((m) => m.messageId).join(' ');
      expect(stateAfter(order.map((m) => [m])), `one by one: ${why}`).toEqual(reference);
    }
    expect(stateAfter([messages]), 'one batch').toEqual(reference);
  });
});

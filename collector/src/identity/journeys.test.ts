import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Message } from '../../../sdk/src/contract';
import { canonicalForm, deliveries, describeJourney, journeyArb, journeyMessages, memoryResolver } from './test-journeys';

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

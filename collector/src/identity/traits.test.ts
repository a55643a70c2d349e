import { describe, expect, it } from 'vitest';
import { prng } from './test-journeys';
import { applyTraitWrites, mergeTraitStates, type TraitState } from './traits';

/** One identify call's trait part: plain sets (null removes), setOnce, unset, at an event time. */
interface Call {
  set?: Record<string, unknown>;
  setOnce?: Record<string, unknown>;
  unset?: string[];
  at: number;
}

const empty = (): TraitState => ({ traits: {}, times: {} });
const apply = (state: TraitState, calls: readonly Call[]) => {
  for (const c of calls) applyTraitWrites(state, c.set ?? null, c.setOnce || c.unset ? { setOnce: c.setOnce, unset: c.unset } : undefined, c.at);
  return state;
};
const inTimeOrder = (calls: readonly Call[]) => [...calls].sort((a, b) => a.at - b.at);

describe('applyTraitWrites: table', () => {
  it.each<{ name: string; calls: Call[]; traits: Record<string, unknown> }>([
    { name: 'a later set wins', calls: [{ set: { plan: 'free' }, at: 1 }, { set: { plan: 'pro' }, at: 2 }], traits: { plan: 'pro' } },
    { name: 'a late, older set loses', calls: [{ set: { plan: 'pro' }, at: 2 }, { set: { plan: 'free' }, at: 1 }], traits: { plan: 'pro' } },
    { name: 'setOnce keeps the earliest value even when it arrives last', calls: [{ setOnce: { first: 'b' }, at: 2 }, { setOnce: { first: 'a' }, at: 1 }], traits: { first: 'a' } },
    { name: 'a plain set beats setOnce, earlier or later', calls: [{ setOnce: { x: 'once' }, at: 5 }, { set: { x: 'set' }, at: 1 }], traits: { x: 'set' } },
    { name: 'setOnce fills the gap left by an earlier removal', calls: [{ set: { x: null }, at: 1 }, { setOnce: { x: 'once' }, at: 2 }], traits: { x: 'once' } },
    { name: 'a later removal beats setOnce', calls: [{ setOnce: { x: 'once' }, at: 1 }, { unset: ['x'], at: 2 }], traits: {} },
    { name: 'an older removal arriving late does not remove a setOnce value', calls: [{ setOnce: { x: 'once' }, at: 2 }, { set: { x: null }, at: 1 }], traits: { x: 'once' } },
    // Writes of one millisecond have no event order: they are ordered by value, never by arrival.
    { name: 'same time, two sets: the larger JSON text, in this order', calls: [{ set: { x: 'b' }, at: 1 }, { set: { x: 'a' }, at: 1 }], traits: { x: 'b' } },
    { name: 'same time, two sets: the larger JSON text, in the other order', calls: [{ set: { x: 'a' }, at: 1 }, { set: { x: 'b' }, at: 1 }], traits: { x: 'b' } },
    { name: 'same time, two setOnce: the smaller JSON text (the first of the two in that order)', calls: [{ setOnce: { x: 'b' }, at: 1 }, { setOnce: { x: 'a' }, at: 1 }], traits: { x: 'a' } },
    { name: 'same time, a set and a removal: the value stays', calls: [{ set: { x: 'a' }, at: 1 }, { unset: ['x'], at: 1 }], traits: { x: 'a' } },
    { name: 'same time, a removal and a set: the value stays', calls: [{ unset: ['x'], at: 1 }, { set: { x: 'a' }, at: 1 }], traits: { x: 'a' } },
    { name: 'same time, one call that sets and unsets a trait: the value stays', calls: [{ set: { x: 'a' }, unset: ['x'], at: 1 }], traits: { x: 'a' } },
    { name: 'same time, a removal and a setOnce: the setOnce fills the gap', calls: [{ setOnce: { x: 'once' }, at: 1 }, { set: { x: null }, at: 1 }], traits: { x: 'once' } },
  ])('$name', ({ calls, traits }) => {
    expect(apply(empty(), calls).traits).toEqual(traits);
  });
});

describe('applyTraitWrites: the one order-dependent case (README, Identity: delivery order)', () => {
  // A profile remembers one write per trait. A value at 1 ('a', set or setOnce), a removal at 2,
  // setOnce 'b' at 3: in time order the removal clears 'a' and 'b' fills the gap. When 'b' arrives
  // before the removal, it finds the trait set and is refused, and nothing remembers it.
  const removal = { unset: ['x'], at: 2 };
  const last = { setOnce: { x: 'b' }, at: 3 };
  it.each<{ order: string; calls: Call[]; traits: Record<string, unknown> }>([
    { order: 'setOnce, removal, setOnce in time order', calls: [{ setOnce: { x: 'a' }, at: 1 }, removal, last], traits: { x: 'b' } },
    { order: 'the latest setOnce first', calls: [last, removal, { setOnce: { x: 'a' }, at: 1 }], traits: { x: 'a' } },
    { order: 'the removal last', calls: [{ setOnce: { x: 'a' }, at: 1 }, last, removal], traits: {} },
    { order: 'set, removal, setOnce in time order', calls: [{ set: { x: 'a' }, at: 1 }, removal, last], traits: { x: 'b' } },
    { order: 'set, setOnce, then the removal', calls: [{ set: { x: 'a' }, at: 1 }, last, removal], traits: {} },
  ])('$order', ({ calls, traits }) => {
    expect(apply(empty(), calls).traits).toEqual(traits);
  });
});


/**
 * Random journeys over two traits: `plan` gets plain sets and removals (null, unset), `first` gets
 * plain sets and setOnce. (A removal with a later setOnce of the same trait that arrives before
 * it is the one case a single remembered write per trait cannot decide: README, Identity, Delivery
 * order, and the table above.)
 */
function randomCalls(random: () => number): Call[] {
  // Every third journey has coarse times: calls share timestamps (ordered by value, not arrival).
  const step = random() < 1 / 3 ? 0.3 : 10;
  const times = [...Array(12).keys()].map((i) => Math.floor(i * step) * 10 + 10).sort(() => random() - 0.5);
  return Array.from({ length: 2 + Math.floor(random() * 8) }, (_, i) => {
    const at = times[i];
    const kind = Math.floor(random() * 5);
    if (kind === 0) return { set: { plan: `v${at}` }, at };
    if (kind === 1) return { set: { plan: null }, at };
    if (kind === 2) return { unset: ['plan'], at };
    if (kind === 3) return { set: { first: `v${at}` }, at };
    return { setOnce: { first: `once${at}` }, at };
  });
}

const shuffled = <T>(items: readonly T[], random: () => number) => [...items].sort(() => random() - 0.5);

describe('traits do not depend on delivery order (property, 500 random journeys each)', () => {
  it('any arrival order gives what time order gives', () => {
    const random = prng(19);
    for (let n = 0; n < 500; n++) {
      const calls = randomCalls(random);
      const expected = apply(empty(), inTimeOrder(calls)).traits;
      expect(apply(empty(), shuffled(calls, random)).traits, JSON.stringify(calls)).toEqual(expected);
    }
  });

  it('two profiles folded by a merge give what one profile would have, whichever survives', () => {
    const random = prng(7);
    for (let n = 0; n < 500; n++) {
      const calls = randomCalls(random);
      const expected = apply(empty(), inTimeOrder(calls)).traits;
      const split = calls.map(() => random() < 0.5);
      const left = apply(empty(), shuffled(calls.filter((_, i) => split[i]), random));
      const right = apply(empty(), shuffled(calls.filter((_, i) => !split[i]), random));
      const intoLeft = structuredClone(left);
      mergeTraitStates(intoLeft, right);
      mergeTraitStates(right, left);
      expect(intoLeft.traits, JSON.stringify(calls)).toEqual(expected);
      expect(right.traits, JSON.stringify(calls)).toEqual(expected);
    }
  });
});

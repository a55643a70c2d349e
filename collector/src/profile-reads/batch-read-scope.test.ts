import { describe, expect, it } from 'vitest';
import { batchReadScope } from './invalidate';

const outcome = { touchedProfileIds: ['prof_a'], absorbedProfileIds: ['prof_b'] };
const consent = (analytics: boolean) => ({ consent: { categoryPreferences: { analytics } } });

describe('batchReadScope', () => {
  it.each([
    ['tracks and identifies: the profiles touched and absorbed', {}, [{ type: 'track', context: null }, { type: 'identify', context: consent(true) }], [], { profileIds: ['prof_a', 'prof_b'] }],
    ['a group call: every member of the account, named', {}, [{ type: 'track', context: null }, { type: 'group', context: null }], ['prof_a', 'prof_c'], { profileIds: ['prof_a', 'prof_b', 'prof_c'] }],
    ['a group call with too many members to name: all', {}, [{ type: 'group', context: null }], null, 'all'],
    ['an event discarded for consent that carries consent: a profile it cannot name', { requiredConsent: 'analytics' }, [{ type: 'track', context: consent(false) }], [], 'all'],
    ['consent given where it is required: stored, so touched', { requiredConsent: 'analytics' }, [{ type: 'track', context: consent(true) }], [], { profileIds: ['prof_a', 'prof_b'] }],
    ['a discarded event without consent: nothing to record', { requiredConsent: 'analytics' }, [{ type: 'track', context: null }], [], { profileIds: ['prof_a', 'prof_b'] }],
  ] as const)('%s', (_name, settings, events, members, expected) => {
    expect(batchReadScope({ settings: { ipPolicy: 'keep', ...settings } }, events as never, outcome, members)).toEqual(expected);
  });
});

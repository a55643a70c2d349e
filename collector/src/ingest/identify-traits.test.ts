import { describe, expect, it } from 'vitest';
import { identifyTraits } from './identify-traits';

describe('identifyTraits', () => {
  it.each([
    ['Segment: top-level traits', { type: 'identify', userId: 'u1', traits: { plan: 'pro' } }, { plan: 'pro' }],
    ['top-level traits win over context.traits', { type: 'identify', traits: { plan: 'pro' }, context: { traits: { plan: 'free' } } }, { plan: 'pro' }],
    ['RudderStack browser: context.traits', { type: 'identify', userId: 'u1', anonymousId: 'a1', context: { traits: { email: 'x@y.io' } } }, { email: 'x@y.io' }],
    [
      'RudderStack Android: copies of the ids are dropped',
      { type: 'identify', userId: 'u1', anonymousId: 'a1', context: { traits: { anonymousId: 'a1', id: 'u1', userId: 'u1', name: 'Ann' } } },
      { name: 'Ann' },
    ],
    [
      'an id trait that differs from the event ids is kept',
      { type: 'identify', userId: 'u1', anonymousId: 'a1', context: { traits: { id: 'crm-9', anonymousId: 'old' } } },
      { id: 'crm-9', anonymousId: 'old' },
    ],
    ['only copies: no traits', { type: 'identify', userId: 'u1', anonymousId: 'a1', context: { traits: { anonymousId: 'a1' } } }, null],
    ['track keeps context.traits as context', { type: 'track', userId: 'u1', context: { traits: { email: 'x@y.io' } } }, null],
    ['group traits stay the account traits', { type: 'group', traits: { plan: 'team' }, context: { traits: { email: 'x@y.io' } } }, { plan: 'team' }],
    ['context.traits not an object', { type: 'identify', userId: 'u1', context: { traits: 'x' } }, null],
  ])('%s', (_name, message, expected) => {
    expect(identifyTraits(message as Parameters<typeof identifyTraits>[0])).toEqual(expected);
  });
});

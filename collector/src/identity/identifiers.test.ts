import { describe, expect, it } from 'vitest';
import { eventIdentifiers, isJunkId, normaliseIdentifier } from './identifiers';
import { ev } from './test-fixtures';

describe('isJunkId', () => {
  it.each([
    ['', true], ['   ', true], ['null', true], ['NULL', true], ['undefined', true], ['"undefined"', true],
    ["'null'", true], ['anonymous', true], ['Guest', true], ['0', true], ['-1', true], ['[object Object]', true],
    ['NaN', true], ['none', true], ['00000000-0000-0000-0000-000000000000', true], ['---', true], ['""', true],
    ['u-42', false], ['0x1', false], ['guest-7', false], ['10', false], ['ana@example.com', false],
  ])('%j -> %s', (value, junk) => {
    expect(isJunkId(value)).toBe(junk);
  });
});

describe('normaliseIdentifier', () => {
  it.each([
    ['email', ' Ana@Example.COM ', { ok: true, id: { type: 'email', value: 'ana@example.com' } }],
    ['email', 'not-an-email', { ok: false, reason: 'invalid' }],
    ['email', 'undefined', { ok: false, reason: 'junk' }],
    ['user_id', 42, { ok: true, id: { type: 'user_id', value: '42' } }],
    ['user_id', 'Abc', { ok: true, id: { type: 'user_id', value: 'Abc' } }],
    ['user_id', { id: 1 }, { ok: false, reason: 'junk' }],
    ['phone', '+44 20 7946 0018', { ok: true, id: { type: 'phone', value: '+442079460018' } }],
    ['phone', '12', { ok: false, reason: 'invalid' }],
    ['phone', '+62 (0)812-3456-7890', { ok: true, id: { type: 'phone', value: '+6281234567890' } }],
    ['phone', '0812 345', { ok: false, reason: 'invalid' }],
  ])('%s %j', (type, raw, expected) => {
    expect(normaliseIdentifier(type, raw)).toEqual(expected);
  });
});

describe('eventIdentifiers', () => {
  it('reads ids best first: user_id, email, phone, custom, anonymous_id', () => {
    const found = eventIdentifiers(
      ev({
        type: 'identify',
        userId: 'u1',
        anonymousId: 'a1',
        traits: { email: 'A@B.co', phone: '+14155552671' },
        context: { externalIds: [{ id: 'c-9', type: 'CRM Id' }, { id: 'x', type: 'user_id' }] },
      }),
    );
    expect(found.ids.map((i) => `${i.type}:${i.value}`)).toEqual(['user_id:u1', 'email:a@b.co', 'phone:+14155552671', 'crm_id:c-9', 'anonymous_id:a1']);
    expect(found.refused).toEqual([{ type: 'user_id', reason: 'invalid' }]);
  });

  it('takes email from context.traits on track, never from group traits', () => {
    expect(eventIdentifiers(ev({ type: 'track', anonymousId: 'a', context: { traits: { email: 'x@y.io' } } })).ids).toContainEqual({ type: 'email', value: 'x@y.io' });
    expect(eventIdentifiers(ev({ type: 'group', anonymousId: 'a', groupId: 'g', traits: { email: 'billing@acme.io' } })).ids).toEqual([{ type: 'anonymous_id', value: 'a' }]);
  });
});

import { describe, expect, it } from 'vitest';
import { validateMessage } from './validate';

describe('validateMessage', () => {
  it.each([
    ['track with userId', { type: 'track', event: 'A', userId: 'u' }, true, undefined],
    ['numeric userId is coerced', { type: 'track', event: 'A', userId: 42 }, true, undefined],
    ['identify by email only', { type: 'identify', traits: { email: 'a@b.co' } }, true, undefined],
    ['alias', { type: 'alias', userId: 'u', previousId: 'a' }, true, undefined],
    ['alias without previousId', { type: 'alias', userId: 'u' }, false, 'previousId'],
    ['group without groupId', { type: 'group', userId: 'u' }, false, 'groupId'],
    ['track with blank event', { type: 'track', event: '  ', userId: 'u' }, false, 'event'],
    ['unknown type', { type: 'purchase', userId: 'u' }, false, 'type'],
    ['no ids', { type: 'page' }, false, 'userId'],
    ['object userId', { type: 'page', userId: { id: 1 } }, false, 'userId'],
    ['array traits', { type: 'identify', userId: 'u', traits: [] }, false, 'traits'],
    ['bad timestamp', { type: 'page', userId: 'u', timestamp: 'soon' }, false, 'timestamp'],
    ['empty messageId', { type: 'page', userId: 'u', messageId: '' }, false, 'messageId'],
    ['numeric event name', { type: 'track', userId: 'u', event: 5 }, false, 'event'],
  ])('%s', (_label, raw, ok, field) => {
    const result = validateMessage(raw);
    expect(result.ok).toBe(ok);
    if (!result.ok) expect(result.field).toBe(field);
  });

  it('takes the type from the route', () => {
    const result = validateMessage({ event: 'A', userId: 'u' }, 'track');
    expect(result).toMatchObject({ ok: true, message: { type: 'track' } });
  });

  it('rejects a message over 32 KB', () => {
    const result = validateMessage({ type: 'track', event: 'A', userId: 'u', properties: { x: 'y'.repeat(33_000) } });
    expect(result).toMatchObject({ ok: false, code: 'message_too_large' });
  });
});

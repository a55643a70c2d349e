import { describe, expect, it } from 'vitest';
import { describeSource, validateMessage } from './validate';

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
    ['empty userId beside an anonymousId (analytics-kotlin)', { type: 'screen', userId: '', anonymousId: 'a' }, true, undefined],
    ['empty userId alone', { type: 'track', event: 'A', userId: '' }, false, 'userId'],
    ['empty groupId', { type: 'group', userId: 'u', groupId: '' }, false, 'groupId'],
  ])('%s', (_label, raw, ok, field) => {
    const result = validateMessage(raw);
    expect(result.ok).toBe(ok);
    if (!result.ok) expect(result.field).toBe(field);
  });

  it('drops an empty id rather than storing it', () => {
    expect(validateMessage({ type: 'page', userId: '', anonymousId: 'a' })).toEqual({ ok: true, message: { type: 'page', anonymousId: 'a' } });
  });

  it('takes the type from the route', () => {
    const result = validateMessage({ event: 'A', userId: 'u' }, 'track');
    expect(result).toMatchObject({ ok: true, message: { type: 'track' } });
  });

  it('rejects a message over 32 KB', () => {
    const result = validateMessage({ type: 'track', event: 'A', userId: 'u', properties: { x: 'y'.repeat(33_000) } });
    expect(result).toMatchObject({ ok: false, code: 'message_too_large' });
  });

  it.each([
    // 11,000 three-byte characters are 33,000 UTF-8 bytes: over the cap although under 32 K code units.
    ['multi-byte text over the cap', 'ก'.repeat(11_000), false],
    ['multi-byte text under the cap', 'ก'.repeat(10_000), true],
    ['ASCII just under the cap', 'y'.repeat(32_000), true],
  ])('measures %s in UTF-8 bytes, with or without a source bound', (_label, text, ok) => {
    const raw = { type: 'track', event: 'A', userId: 'u', properties: { x: text } };
    const body = JSON.stringify({ batch: [raw] });
    expect(validateMessage(raw).ok).toBe(ok);
    expect(validateMessage(raw, undefined, describeSource(body)).ok).toBe(ok);
  });

  it('still makes strings well-formed when the body escapes a surrogate', () => {
    const body = '{"batch":[{"type":"track","event":"A","userId":"u\\ud800"}]}';
    const [raw] = (JSON.parse(body) as { batch: unknown[] }).batch;
    expect(describeSource(body).noSurrogateEscapes).toBe(false);
    expect(validateMessage(raw, undefined, describeSource(body))).toMatchObject({ ok: true, message: { userId: 'u\ufffd' } });
  });

  it.each([
    ['plain ASCII', '{"userId":"u"}', true],
    ['an escaped emoji (a surrogate pair)', '{"e":"\\ud83d\\ude00"}', false],
    ['an upper-case lone surrogate escape', '{"e":"\\uDFFF"}', false],
    ['other escapes', '{"e":"\\u00e9\\n"}', true],
  ])('describeSource: %s -> no surrogate escapes %s', (_label, text, clean) => {
    expect(describeSource(text).noSurrogateEscapes).toBe(clean);
  });
});

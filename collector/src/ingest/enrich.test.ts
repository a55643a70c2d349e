import { describe, expect, it } from 'vitest';
import { memoiseUa, parseUserAgent, type UaFields } from './enrich';

const CHROME = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36';

describe('memoiseUa', () => {
  it('parses each user agent once and hands every event the same frozen fields', () => {
    let parses = 0;
    const parse = memoiseUa((ua) => (parses++, parseUserAgent(ua)));
    const first = parse(CHROME);
    expect(parse(CHROME)).toBe(first);
    expect(parses).toBe(1);
    expect(first.browser).toEqual({ name: 'Chrome', version: '126.0.0.0' });
    expect(Object.isFrozen(first.browser)).toBe(true);
  });

  it('stays bounded: a full cache starts over instead of growing', () => {
    const parsed: string[] = [];
    const fields: UaFields = { browser: {}, os: {}, device: {} };
    const parse = memoiseUa((ua) => (parsed.push(ua), fields), 2);
    for (const ua of ['a', 'b', 'a', 'c', 'a']) parse(ua);
    expect(parsed).toEqual(['a', 'b', 'c', 'a']);
  });
});

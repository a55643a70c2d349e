import { describe, expect, it } from 'vitest';
import { consentMode } from './consent';

describe('consentMode', () => {
  it.each([
    // required, preferences, optedOut, expected
    [false, null, false, 'send'],
    [undefined, null, false, 'send'],
    [false, { analytics: false }, false, 'send'], // preferences are only recorded when consent is not required
    [false, null, true, 'off'], // opt-out wins over everything
    [true, null, false, 'hold'],
    [true, {}, false, 'off'],
    [true, { analytics: false, ads: false }, false, 'off'],
    [true, { analytics: false, ads: true }, false, 'send'],
    ['analytics', null, false, 'hold'],
    ['analytics', { ads: true }, false, 'off'],
    ['analytics', { analytics: true }, false, 'send'],
    ['analytics', { analytics: true }, true, 'off'],
  ] as const)('required %s, preferences %j, opted out %s -> %s', (required, prefs, optedOut, expected) => {
    expect(consentMode(required, prefs, optedOut)).toBe(expected);
  });
});

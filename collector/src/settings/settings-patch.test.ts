import { describe, expect, it } from 'vitest';
import { DEFAULT_SETTINGS } from '../store/workspaces';
import { applySettingsPatch, identityCapsOf, settingsView } from './settings-patch';

describe('applySettingsPatch', () => {
  it.each([
    [{ ipPolicy: 'keep' }, { ipPolicy: 'keep' }],
    [{ ipPolicy: 'drop', requiredConsent: 'Analytics' }, { ipPolicy: 'drop', requiredConsent: 'Analytics' }],
    [{ defaultCountry: 'id' }, { ipPolicy: 'truncate', defaultCountry: 'ID' }],
    [{ defaultCountry: 'SG' }, { ipPolicy: 'truncate', defaultCountry: 'SG' }],
    [{ requiredConsent: 'C0002 Performance' }, { ipPolicy: 'truncate', requiredConsent: 'C0002 Performance' }],
    [{ identity: { maxMerges: 5 } }, { ipPolicy: 'truncate', identity: { maxMerges: 5 } }],
    [{ 'identity.maxMerges': 5 }, { ipPolicy: 'truncate', identity: { maxMerges: 5 } }],
    [{ identity: { maxIdentifiers: 1, maxMerges: 10_000 } }, { ipPolicy: 'truncate', identity: { maxIdentifiers: 1, maxMerges: 10_000 } }],
    [{ identity: {} }, { ipPolicy: 'truncate' }],
    [{ predictions: { orderEvent: 'Purchase' } }, { ipPolicy: 'truncate', predictions: { orderEvent: 'Purchase' } }],
    [{ 'predictions.orderEvent': 'Purchase' }, { ipPolicy: 'truncate', predictions: { orderEvent: 'Purchase' } }],
    [{ predictions: null }, { ipPolicy: 'truncate' }],
    [{ retention: { hotDays: 90 } }, { ipPolicy: 'truncate', retention: { hotDays: 90 } }],
    [{ 'retention.hotDays': 36_500 }, { ipPolicy: 'truncate', retention: { hotDays: 36_500 } }],
    [{ retention: null }, { ipPolicy: 'truncate' }],
    [{}, { ipPolicy: 'truncate' }],
  ])('%j -> %j', (patch, expected) => {
    expect(applySettingsPatch({ ...DEFAULT_SETTINGS }, patch)).toEqual(expected);
  });

  it.each([
    [{ requiredConsent: null, defaultCountry: null }, { ipPolicy: 'keep', identity: { maxIdentifiers: 3, maxMerges: 2 } }],
    [{ identity: { maxMerges: null } }, { ipPolicy: 'keep', requiredConsent: 'Analytics', defaultCountry: 'ID', identity: { maxIdentifiers: 3 } }],
    [{ 'identity.maxIdentifiers': null, 'identity.maxMerges': 9 }, { ipPolicy: 'keep', requiredConsent: 'Analytics', defaultCountry: 'ID', identity: { maxMerges: 9 } }],
    [{ identity: null }, { ipPolicy: 'keep', requiredConsent: 'Analytics', defaultCountry: 'ID' }],
  ])('null removes: %j', (patch, expected) => {
    const current = { ipPolicy: 'keep' as const, requiredConsent: 'Analytics', defaultCountry: 'ID', identity: { maxIdentifiers: 3, maxMerges: 2 } };
    expect(applySettingsPatch(current, patch)).toEqual(expected);
    expect(current.identity).toEqual({ maxIdentifiers: 3, maxMerges: 2 }); // pure: the input is left alone
  });

  it.each([
    [{ ipPolicy: 'hash' }, 'ipPolicy'],
    [{ ipPolicy: null }, 'ipPolicy'],
    [{ requiredConsent: '' }, 'requiredConsent'],
    [{ requiredConsent: 'x'.repeat(65) }, 'requiredConsent'],
    [{ requiredConsent: "Analytics'; DROP TABLE events;--" }, 'requiredConsent'],
    [{ requiredConsent: 7 }, 'requiredConsent'],
    [{ defaultCountry: 'IDN' }, 'defaultCountry'],
    [{ defaultCountry: 'XX' }, 'defaultCountry'],
    [{ defaultCountry: 62 }, 'defaultCountry'],
    [{ identity: 5 }, 'identity'],
    [{ identity: [] }, 'identity'],
    [{ identity: 'strict' }, 'identity'],
    [{ identity: { maxMerges: '5' } }, 'identity.maxMerges'],
    [{ identity: { maxMerges: 0 } }, 'identity.maxMerges'],
    [{ identity: { maxMerges: -1 } }, 'identity.maxMerges'],
    [{ identity: { maxMerges: 2.5 } }, 'identity.maxMerges'],
    [{ identity: { maxMerges: 10_001 } }, 'identity.maxMerges'],
    [{ identity: { maxIdentifiers: true } }, 'identity.maxIdentifiers'],
    [{ 'identity.maxIdentifiers': {} }, 'identity.maxIdentifiers'],
    [{ identity: { maxMerge: 5 } }, 'identity.maxMerge'],
    [{ 'identity.maxMerge': 5 }, 'identity.maxMerge'],
    [{ maxMerges: 5 }, 'maxMerges'],
    [{ retention: 30 }, 'retention'],
    [{ retention: { hotDays: 0 } }, 'retention.hotDays'],
    [{ retention: { hotDays: 36_501 } }, 'retention.hotDays'],
    [{ retention: { hotDays: '400' } }, 'retention.hotDays'],
    [{ 'retention.hotDays': 1.5 }, 'retention.hotDays'],
    [{ retention: { coldDays: 5 } }, 'retention.coldDays'],
    [{ predictions: { orderEvent: '' } }, 'predictions.orderEvent'],
    [{ predictions: { orderEvent: 5 } }, 'predictions.orderEvent'],
    [{ predictions: { event: 'Purchase' } }, 'predictions.event'],
    [{ predictions: 'Purchase' }, 'predictions'],
    [{ ipPolicy: 'keep', colour: 'red' }, 'colour'],
    [{ __proto__: 1, constructor: 2 }, 'constructor'],
    [JSON.parse('{"__proto__": {"maxMerges": 1}}'), '__proto__'],
    [JSON.parse('{"identity": {"__proto__": 1}}'), 'identity.__proto__'],
  ])('refuses %j naming %s', (patch, field) => {
    expect(() => applySettingsPatch({ ...DEFAULT_SETTINGS }, patch)).toThrowError(expect.objectContaining({ status: 400, field }));
  });
});

describe('identityCapsOf', () => {
  it.each([
    [{}, { maxIdentifiers: 100, maxMerges: 50 }],
    [{ identity: { maxMerges: 5 } }, { maxIdentifiers: 100, maxMerges: 5 }],
    [{ identity: { maxIdentifiers: 2, maxMerges: 3 } }, { maxIdentifiers: 2, maxMerges: 3 }],
    // Stored before validation existed: anything but a positive integer is the default.
    [{ identity: { maxIdentifiers: '2', maxMerges: 0 } }, { maxIdentifiers: 100, maxMerges: 50 }],
    [{ identity: 'x' }, { maxIdentifiers: 100, maxMerges: 50 }],
  ])('%j -> %j', (settings, expected) => {
    expect(identityCapsOf({ ...DEFAULT_SETTINGS, ...settings })).toEqual(expected);
  });
});

describe('settingsView', () => {
  it('shows every editable setting, caps as they apply', () => {
    expect(settingsView({ ipPolicy: 'keep', identity: { maxMerges: 5 } })).toEqual({
      ipPolicy: 'keep',
      requiredConsent: null,
      defaultCountry: null,
      identity: { maxIdentifiers: 100, maxMerges: 5 },
      predictions: { orderEvent: 'Order Completed' },
      retention: { hotDays: 400 },
    });
  });
});

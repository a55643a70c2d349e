import { describe, expect, it } from 'vitest';
import { mayStore } from '../src/privacy/consent-gate';
import { hashIdentifier } from '../src/privacy/id-hash';

describe('mayStore', () => {
  it.each([
    [{ consent: { categoryPreferences: { Analytics: true } } }, true],
    [{ consent: { categoryPreferences: { Analytics: true, Advertising: false } } }, true],
    [{ consent: { categoryPreferences: { Analytics: false } } }, false],
    [{ consent: { categoryPreferences: { Advertising: true } } }, false],
    [{ consent: { categoryPreferences: { Analytics: 'true' } } }, false],
    [{ consent: { categoryPreferences: { Analytics: 1 } } }, false],
    [{ consent: { categoryPreferences: { analytics: true } } }, false],
    [{ consent: { categoryPreferences: null } }, false],
    [{ consent: { categoryPreferences: [true] } }, false],
    [{ consent: 'yes' }, false],
    [{}, false],
    [null, false],
  ])('%j -> %s for Analytics', (context, expected) => {
    expect(mayStore(context as never, 'Analytics')).toBe(expected);
  });
});

describe('hashIdentifier', () => {
  it('is a stable SHA-256 hex digest salted by workspace and type', async () => {
    const a = await hashIdentifier('ws_1', { type: 'email', value: 'ana@example.com' });
    expect(a).toMatch(/^[0-9a-f]{64}$/);
    expect(await hashIdentifier('ws_1', { type: 'email', value: 'ana@example.com' })).toBe(a);
    expect(await hashIdentifier('ws_2', { type: 'email', value: 'ana@example.com' })).not.toBe(a);
    expect(await hashIdentifier('ws_1', { type: 'user_id', value: 'ana@example.com' })).not.toBe(a);
    expect(a).not.toContain('ana');
  });
});

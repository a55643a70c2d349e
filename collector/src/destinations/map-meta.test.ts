import { describe, expect, it } from 'vitest';
import { hashKey as sha256Hex } from '../auth/keys';
import { metaCustomData, metaEventName, metaPhone, metaRequests, metaUserData } from './map-meta';
import { forward, stored } from './test-events';

describe('metaEventName', () => {
  it.each([
    ['track', 'Order Completed', 'Purchase'],
    ['track', 'Product Viewed', 'ViewContent'],
    ['track', 'Product Added', 'AddToCart'],
    ['track', 'Checkout Started', 'InitiateCheckout'],
    ['page', null, 'PageView'],
    ['track', 'Trial Started', 'Trial Started'],
  ] as const)('%s %s -> %s', (type, event, name) => expect(metaEventName({ type, event })).toBe(name));
});

describe('metaPhone', () => {
  it.each([
    ['+62 812-3456-7890', '6281234567890'],
    ['0044 20 7946 0958', '442079460958'],
    ['not a phone', null],
  ])('%s -> %s', (input, out) => expect(metaPhone(input)).toBe(out));
});

describe('metaUserData', () => {
  it.each([
    [
      "the profile's email and phone win over the event's",
      forward(1, stored({ userId: 'u-1', traits: { email: 'event@x.test' }, context: { ip: '198.51.100.1', userAgent: 'UA' } }), { email: 'person@x.test', phone: '+6281234567890' }),
      { em: ['person@x.test'], ph: ['6281234567890'], external_id: ['u-1'], client_ip_address: '198.51.100.1', client_user_agent: 'UA' },
    ],
    [
      "the event's traits when the profile has none, normalised before hashing",
      forward(1, stored({ type: 'identify', traits: { email: '  Ana@Example.COM ', phone: '+1 (415) 555-2671' } })),
      { em: ['ana@example.com'], ph: ['14155552671'] },
    ],
    ['nothing to match on', forward(1, stored({})), null],
  ])('%s', async (_label, f, expected) => {
    const hashed = expected && Object.fromEntries(
      await Promise.all(
        Object.entries(expected).map(async ([k, v]) => [k, Array.isArray(v) ? await Promise.all(v.map((x) => sha256Hex(x))) : v]),
      ),
    );
    expect(await metaUserData(f)).toEqual(hashed);
  });
});

describe('metaCustomData', () => {
  it.each([
    [
      'an order: value, currency, order id and contents',
      stored({ event: 'Order Completed', properties: { order_id: 'o-1', total: 20, currency: 'EUR', products: [{ product_id: 'p-1', price: 10, quantity: 2 }] } }),
      { value: 20, currency: 'EUR', order_id: 'o-1', contents: [{ id: 'p-1', quantity: 2, item_price: 10 }], content_ids: ['p-1'], content_type: 'product' },
    ],
    [
      'a viewed product is its own content; price is the value',
      stored({ event: 'Product Viewed', properties: { sku: 'S-1', price: 7, currency: 'USD' } }),
      { value: 7, currency: 'USD', contents: [{ id: 'S-1', quantity: 1, item_price: 7 }], content_ids: ['S-1'], content_type: 'product' },
    ],
    ['nothing to say', stored({ event: 'Trial Started' }), undefined],
  ])('%s', (_label, e, expected) => expect(metaCustomData(e)).toEqual(expected));
});

describe('metaRequests', () => {
  it('skips events with no customer information and sends the rest in one call', async () => {
    const { requests, skipped } = await metaRequests({ pixelId: '123456', accessToken: 'EAAB-token', testEventCode: 'TEST1' }, [
      forward(1, stored({ context: {} })),
      forward(2, stored({ messageId: 'm-2', event: 'Trial Started', context: { userAgent: 'UA' } })),
      forward(3, stored({ messageId: 'm-3', event: 'Trial Started', context: { userAgent: 'UA' }, timestamp: Date.UTC(2025, 11, 20) })),
    ], Date.UTC(2026, 0, 2));
    expect(skipped.map((s) => s.deliveryId)).toEqual([1, 3]);
    expect(skipped[1].reason).toBe('older than the 7 days Meta accepts');
    expect(requests).toHaveLength(1);
    expect(requests[0].url).toBe('https://graph.facebook.com/v25.0/123456/events');
    expect(JSON.parse(requests[0].body)).toEqual({
      data: [{ event_name: 'Trial Started', event_time: Date.UTC(2026, 0, 1) / 1000, event_id: 'm-2', action_source: 'website', user_data: { client_user_agent: 'UA' } }],
      access_token: 'EAAB-token',
      test_event_code: 'TEST1',
    });
  });
});

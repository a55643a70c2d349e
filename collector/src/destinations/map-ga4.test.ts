import { describe, expect, it } from 'vitest';
import { ga4Event, ga4EventName, ga4Requests, snakeCase } from './map-ga4';
import { forward, stored } from './test-events';

describe('ga4EventName', () => {
  it.each([
    ['track', 'Order Completed', 'purchase'],
    ['track', 'Product Viewed', 'view_item'],
    ['track', 'Product Added', 'add_to_cart'],
    ['track', 'Checkout Started', 'begin_checkout'],
    ['page', null, 'page_view'],
    ['screen', null, 'screen_view'],
    ['track', 'Signed Up', 'signed_up'],
    ['track', 'videoPlayed', 'video_played'],
    ['track', '3D View', 'e_3d_view'],
    ['track', 'Google Login', 'x_google_login'],
    ['track', 'A very long event name that goes on and on past forty', 'a_very_long_event_name_that_goes_on_and'],
  ] as const)('%s %s -> %s', (type, event, name) => {
    expect(ga4EventName({ type, event })).toBe(name);
  });

  it.each([
    ['Signed Up', 'signed_up'],
    ['ga_session', 'x_ga_session'],
    ['---', 'e'],
  ])('snakeCase(%s) = %s', (input, out) => expect(snakeCase(input)).toBe(out));
});

describe('ga4Event', () => {
  const products = [
    { product_id: 'p-1', sku: 'S-1', name: 'Shirt', price: 10, quantity: 2, brand: 'Batik Co' },
    { sku: 'S-2', name: 'Sarong', price: '5.5' },
  ];
  it.each([
    [
      'purchase from Order Completed',
      stored({ event: 'Order Completed', properties: { order_id: 'o-1', revenue: 25.5, currency: 'IDR', tax: 1, products } }),
      {
        name: 'purchase',
        params: {
          transaction_id: 'o-1',
          value: 25.5,
          currency: 'IDR',
          tax: 1,
          items: [
            { item_id: 'p-1', item_name: 'Shirt', price: 10, quantity: 2, item_brand: 'Batik Co' },
            { item_id: 'S-2', item_name: 'Sarong', price: 5.5 },
          ],
          order_id: 'o-1',
          revenue: 25.5,
        },
      },
    ],
    [
      'begin_checkout takes total when there is no revenue',
      stored({ event: 'Checkout Started', properties: { total: 30, currency: 'USD' } }),
      { name: 'begin_checkout', params: { value: 30, currency: 'USD', items: [], total: 30 } },
    ],
    [
      'add_to_cart: the product is the event',
      stored({ event: 'Product Added', properties: { product_id: 'p-9', name: 'Hat', price: 4, quantity: 3, currency: 'EUR' } }),
      {
        name: 'add_to_cart',
        params: { currency: 'EUR', value: 12, items: [{ item_id: 'p-9', item_name: 'Hat', price: 4, quantity: 3 }], product_id: 'p-9', name: 'Hat', price: 4, quantity: 3 },
      },
    ],
    [
      'page_view with location, title and referrer',
      stored({ type: 'page', name: 'Home', properties: { title: 'Shop' }, context: { page: { url: 'https://s.test/', referrer: 'https://g.test/' } } }),
      { name: 'page_view', params: { page_location: 'https://s.test/', page_title: 'Shop', page_referrer: 'https://g.test/', title: 'Shop' } },
    ],
    [
      'a custom event: scalar properties snake_cased, objects left out, strings cut at 100',
      stored({ event: 'Video Played', properties: { videoId: 'v1', muted: false, meta: { a: 1 }, note: 'x'.repeat(150) } }),
      { name: 'video_played', params: { video_id: 'v1', muted: 'false', note: 'x'.repeat(100) } },
    ],
  ])('%s', (_label, event, expected) => {
    expect(ga4Event(event)).toEqual({ ...expected, timestamp_micros: Date.UTC(2026, 0, 1) * 1000 });
  });

  it('keeps at most 25 parameters', () => {
    const properties = Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`p${i}`, i]));
    expect(Object.keys(ga4Event(stored({ event: 'Many', properties })).params)).toHaveLength(25);
  });
});

describe('ga4Requests', () => {
  it('groups by client and user, 25 events per call, the endpoint replacing the origin', () => {
    const events = [
      ...Array.from({ length: 26 }, (_, i) => forward(i + 1, stored({ messageId: `a${i}`, event: 'Tick', anonymousId: 'anon-a' }))),
      forward(100, stored({ event: 'Tick', anonymousId: null, userId: 'u-b' })),
    ];
    const { requests } = ga4Requests({ measurementId: 'G-ABC123', apiSecret: 's&cret', endpoint: 'http://proxy.test/ga/' }, events, Date.UTC(2026, 0, 2));
    expect(requests.map((r) => r.deliveryIds.length)).toEqual([25, 1, 1]);
    expect(requests[0].url).toBe('http://proxy.test/ga/mp/collect?measurement_id=G-ABC123&api_secret=s%26cret');
    expect(JSON.parse(requests[2].body)).toMatchObject({ client_id: 'u-b', user_id: 'u-b' });
    expect(JSON.parse(requests[0].body).user_id).toBeUndefined();
  });

  it('skips events older than the 72 hours GA4 accepts', () => {
    const { requests, skipped } = ga4Requests({ measurementId: 'G-ABC123', apiSecret: 'secret-1' }, [forward(1, stored({})), forward(2, stored({ messageId: 'm-2', timestamp: Date.UTC(2026, 0, 4) }))], Date.UTC(2026, 0, 4, 1));
    expect(skipped).toEqual([{ deliveryId: 1, reason: 'older than the 72 hours GA4 accepts' }]);
    expect(requests.map((r) => r.deliveryIds)).toEqual([[2]]);
  });
});

import { describe, expect, it } from 'vitest';
import { hashKey as sha256Hex } from '../auth/keys';
import { insertId, mixpanelEventName, mixpanelProfileSet, mixpanelRecord, mixpanelRequests } from './map-mixpanel';
import { forward, stored } from './test-events';

const config = { projectToken: 'tok123456', apiSecret: 'secret-1' };

describe('insertId', () => {
  it.each([
    ['3f1c0a9e-2b44-4c1d-9e55-0123456789ab', true],
    ['satu-abc', true],
    ['satu-V1StGXR8_Z5jdHi6B-myT', false],
    ['ajs-next-1767225600000-3f1c0a9e-2b44-4c1d', false],
  ])('%s is kept: %s', async (id, kept) => {
    expect(await insertId(id)).toBe(kept ? id : (await sha256Hex(id)).slice(0, 36));
  });
});

describe('mixpanelRecord', () => {
  it.each([
    [
      'a track: its properties, distinct_id the userId, time in ms',
      stored({ messageId: 'm-1', event: 'Order Completed', userId: 'u-1', properties: { revenue: 10 }, context: { ip: '198.51.100.1' } }),
      {
        event: 'Order Completed',
        properties: { revenue: 10, token: 'tok123456', distinct_id: 'u-1', time: Date.UTC(2026, 0, 1), $insert_id: 'm-1', $device_id: 'anon-1', $user_id: 'u-1', ip: '198.51.100.1' },
      },
    ],
    [
      "a page: Mixpanel's own page view with the URL",
      stored({ messageId: 'm-2', type: 'page', context: { page: { url: 'https://s.test/a', title: 'A' } } }),
      {
        event: '$mp_web_page_view',
        properties: { $current_url: 'https://s.test/a', current_page_title: 'A', token: 'tok123456', distinct_id: 'anon-1', time: Date.UTC(2026, 0, 1), $insert_id: 'm-2', $device_id: 'anon-1' },
      },
    ],
  ])('%s', async (_label, e, expected) => expect(await mixpanelRecord(config, e)).toEqual(expected));

  it.each([
    ['screen', null, 'Loaded a Screen'],
    ['track', 'Signed Up', 'Signed Up'],
  ] as const)('%s %s is named %s', (type, event, name) => expect(mixpanelEventName({ type, event })).toBe(name));
});

describe('mixpanelProfileSet', () => {
  it("sets the traits, Segment's reserved ones under Mixpanel's names", () => {
    expect(mixpanelProfileSet(config, stored({ type: 'identify', userId: 'u-1', traits: { email: 'a@x.test', firstName: 'Ana', plan: 'pro' } }))).toEqual({
      $token: 'tok123456',
      $distinct_id: 'u-1',
      $ip: 0,
      $set: { $email: 'a@x.test', $first_name: 'Ana', plan: 'pro' },
    });
  });
});

describe('mixpanelRequests', () => {
  it('sends behaviour to /import with Basic auth and identifies to /engage', async () => {
    const { requests } = await mixpanelRequests({ ...config, endpoint: 'https://api-eu.mixpanel.com' }, [
      forward(1, stored({ event: 'A' })),
      forward(2, stored({ type: 'identify', userId: 'u-1', traits: {} })),
      forward(3, stored({ type: 'page' })),
    ]);
    expect(requests.map((r) => [r.url, r.deliveryIds, r.headers.authorization ?? null])).toEqual([
      ['https://api-eu.mixpanel.com/import?strict=1', [1, 3], `Basic ${btoa('secret-1:')}`],
      ['https://api-eu.mixpanel.com/engage#profile-set', [2], null],
    ]);
  });
});

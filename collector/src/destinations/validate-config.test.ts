import { describe, expect, it } from 'vitest';
import { checkDestinationBody } from './validate-config';

const ga4 = { kind: 'ga4', config: { measurementId: 'G-ABC123', apiSecret: 'secret-12' } };
const webhook = { kind: 'webhook', url: 'https://hooks.test/in', secret: 'whsec_0123456789abcdef' };

describe('checkDestinationBody', () => {
  it.each([
    ['GA4 without a filter takes what it can map', ga4, { filterTypes: ['track', 'page', 'screen'], filterEvents: null, url: 'https://www.google-analytics.com' }],
    ['a webhook without a filter takes everything', webhook, { filterTypes: null, filterEvents: null, url: 'https://hooks.test/in' }],
    ['event names alone mean tracks of those names', { ...webhook, filter: { events: ['A', 'A'] } }, { filterTypes: ['track'], filterEvents: ['A'] }],
    ['types and names together', { ...webhook, filter: { types: ['page', 'track'], events: ['A'] } }, { filterTypes: ['page', 'track'], filterEvents: ['A'] }],
    ['the endpoint loses its trailing slash and shows as the url', { ...ga4, config: { ...ga4.config, endpoint: 'http://proxy.test/base/' } }, { url: 'http://proxy.test/base', config: { ...ga4.config, endpoint: 'http://proxy.test/base' } }],
    ['event destinations match no segment change', webhook, { segments: null, events: [] }],
    [
      'WhatsApp listens to entries of its segments',
      { kind: 'whatsapp', segments: ['vip', 'vip'], consentCategory: 'Marketing', config: { phoneNumberId: '10987654', accessToken: 'EAAB1234', template: 'hi', language: 'en_US' } },
      { segments: ['vip'], events: ['segment.entered'], consentCategory: 'Marketing', filterTypes: null },
    ],
    ['no kind is a segment webhook', { url: 'https://hooks.test/s', secret: 'whsec_0123456789abcdef' }, { kind: 'segments', events: ['segment.entered', 'segment.exited'], config: null }],
  ])('%s', (_label, body, expected) => expect(checkDestinationBody(body)).toMatchObject(expected));

  it.each([
    [{ ...webhook, config: {} }, 'config'],
    [{ ...ga4, events: ['segment.entered'] }, 'events'],
    [{ ...ga4, filter: { types: ['group'] } }, 'filter.types[0]'],
    [{ ...ga4, filter: { kinds: [] } }, 'filter.kinds'],
    [{ kind: 'whatsapp', segments: ['vip'], filter: {}, config: {} }, 'filter'],
  ])('%j is refused naming %s', (body, field) => {
    expect(() => checkDestinationBody(body)).toThrow(expect.objectContaining({ status: 400, field }));
  });
});

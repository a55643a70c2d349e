import { hashKey as sha256Hex } from '../auth/keys';
import type { StoredEvent } from '../ingest/normalise';
import { normalisePhone } from '../identity/phone';
import { GRAPH_API_VERSION, apiUrl, type MetaConfig } from './kinds';
import { chunk, num, orderValue, pageUrl, productsOf, str, type ForwardEvent, type MappedBatch } from './outbound';

// The Conversions API takes up to 1,000 events per call; one invalid event fails the whole call.
const EVENTS_PER_REQUEST = 1000;
/** Meta refuses a whole call when one event_time is more than 7 days old. */
export const META_MAX_AGE_MS = 7 * 86_400_000;

/** Segment's e-commerce events under Meta's standard event names. */
const STANDARD: Readonly<Record<string, string>> = {
  'Order Completed': 'Purchase',
  'Product Viewed': 'ViewContent',
  'Product Added': 'AddToCart',
  'Checkout Started': 'InitiateCheckout',
};

/**
 * Meta's event name: a standard event for Segment's e-commerce events, PageView for pages,
 * else the event as sent (a custom event).
 *
 * @example
 * metaEventName({ type: 'track', event: 'Checkout Started' }) // 'InitiateCheckout'
 */
export const metaEventName = (e: Pick<StoredEvent, 'type' | 'event'>): string =>
  e.type === 'page' ? 'PageView' : (STANDARD[e.event ?? ''] ?? e.event ?? e.type);

/** Meta's normalisation before hashing: email trimmed and lower-cased; phone as E.164 digits without `+`. */
export const metaEmail = (email: string) => email.trim().toLowerCase();
export const metaPhone = (phone: string): string | null => normalisePhone(phone)?.replace(/^\+/, '') ?? null;

/**
 * `user_data` of one event: SHA-256 of the person's email and phone (their profile's, else the
 * event's traits), of the userId as external_id, and the client's IP and user agent in clear
 * (Meta asks for those unhashed). Null when there is nothing to match the event to a person by.
 *
 * @example
 * await metaUserData(forward) // { em: ['<64 hex>'], ph: ['<64 hex>'], client_ip_address: '203.0.113.9', ... }
 */
export async function metaUserData(f: ForwardEvent): Promise<Record<string, unknown> | null> {
  const e = f.event;
  const email = f.person.email ?? str(e.traits, 'email') ?? str(e.context.traits, 'email');
  const phoneText = f.person.phone ?? str(e.traits, 'phone') ?? str(e.context.traits, 'phone');
  const phone = phoneText ? metaPhone(phoneText) : null;
  const data: Record<string, unknown> = {
    ...(email ? { em: [await sha256Hex(metaEmail(email))] } : {}),
    ...(phone ? { ph: [await sha256Hex(phone)] } : {}),
    ...(e.userId ? { external_id: [await sha256Hex(e.userId)] } : {}),
    ...(typeof e.context.ip === 'string' ? { client_ip_address: e.context.ip } : {}),
    ...(typeof e.context.userAgent === 'string' ? { client_user_agent: e.context.userAgent } : {}),
  };
  return Object.keys(data).length === 0 ? null : data;
}

/** `custom_data`: value and currency, the order id, and the products as Meta's contents. */
export function metaCustomData(e: StoredEvent): Record<string, unknown> | undefined {
  const p = e.properties;
  const products = productsOf(p);
  // Product Viewed / Added describe one product in the event's own properties.
  const single = e.event === 'Product Viewed' || e.event === 'Product Added';
  const contents = (single && p ? [p as Record<string, unknown>] : products)
    .map((x) => ({ id: str(x, 'product_id') ?? str(x, 'sku') ?? str(x, 'id'), quantity: num(x, 'quantity') ?? 1, item_price: num(x, 'price') }))
    .filter((c) => c.id !== undefined);
  const value = orderValue(p) ?? (single ? num(p, 'price') : undefined);
  const data: Record<string, unknown> = {
    ...(value !== undefined ? { value } : {}),
    ...(str(p, 'currency') ? { currency: str(p, 'currency') } : {}),
    ...(str(p, 'order_id') ? { order_id: str(p, 'order_id') } : {}),
    ...(contents.length > 0 ? { contents, content_ids: contents.map((c) => c.id), content_type: 'product' } : {}),
  };
  return Object.keys(data).length === 0 ? undefined : data;
}

/**
 * Conversions API calls for a run of events: `POST /{version}/{pixelId}/events` with
 * `{data, access_token}`. `event_id` is the messageId, so Meta dedupes a retried call and
 * matches the browser pixel's event of the same id. Events with no customer information at all,
 * or older than 7 days (an import of history), are skipped: Meta would reject the whole call for one.
 *
 * @example
 * (await metaRequests({ pixelId: '1234567890', accessToken: 'EAAB…' }, events, Date.now())).requests[0].url
 * // 'https://graph.facebook.com/v25.0/1234567890/events'
 */
export async function metaRequests(config: MetaConfig, events: readonly ForwardEvent[], now: number): Promise<MappedBatch> {
  const skipped: MappedBatch['skipped'] = [];
  const ready: { deliveryId: number; data: Record<string, unknown> }[] = [];
  for (const f of events) {
    if (f.event.timestamp < now - META_MAX_AGE_MS) {
      skipped.push({ deliveryId: f.deliveryId, reason: 'older than the 7 days Meta accepts' });
      continue;
    }
    const userData = await metaUserData(f);
    if (!userData) {
      skipped.push({ deliveryId: f.deliveryId, reason: 'no customer information (email, phone, userId, IP or user agent) to match' });
      continue;
    }
    const e = f.event;
    const customData = metaCustomData(e);
    const url = pageUrl(e);
    ready.push({
      deliveryId: f.deliveryId,
      data: {
        event_name: metaEventName(e),
        event_time: Math.floor(e.timestamp / 1000),
        event_id: e.messageId,
        action_source: 'website',
        ...(url ? { event_source_url: url } : {}),
        user_data: userData,
        ...(customData ? { custom_data: customData } : {}),
      },
    });
  }
  const url = apiUrl('meta', config.endpoint, `/${GRAPH_API_VERSION}/${config.pixelId}/events`);
  const requests = chunk(ready, EVENTS_PER_REQUEST).map((run) => ({
    deliveryIds: run.map((r) => r.deliveryId),
    url,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      data: run.map((r) => r.data),
      access_token: config.accessToken,
      ...(config.testEventCode ? { test_event_code: config.testEventCode } : {}),
    }),
  }));
  return { requests, skipped };
}

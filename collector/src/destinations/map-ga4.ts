import type { StoredEvent } from '../ingest/normalise';
import { apiUrl, type Ga4Config } from './kinds';
import { chunk, isObject, num, orderValue, pageUrl, productsOf, str, type ForwardEvent, type MappedBatch } from './outbound';

// Measurement Protocol limits (Google's "Event collection limits"): 25 events per request,
// 25 parameters per event, names of 40 characters, parameter values of 100 characters.
const EVENTS_PER_REQUEST = 25;
const PARAMS_PER_EVENT = 25;
const NAME_LENGTH = 40;
const VALUE_LENGTH = 100;
/** GA4 takes events up to 72 hours old (and answers 2xx to older ones while dropping them). */
export const GA4_MAX_AGE_MS = 72 * 3_600_000;

/** Segment's e-commerce events that GA4 has a recommended event for. */
const RECOMMENDED: Readonly<Record<string, string>> = {
  'Order Completed': 'purchase',
  'Product Viewed': 'view_item',
  'Product Added': 'add_to_cart',
  'Checkout Started': 'begin_checkout',
};

/**
 * A name GA4 accepts: snake_case letters, digits and underscores, starting with a letter, at
 * most 40 characters, never one of Google's reserved prefixes.
 *
 * @example
 * snakeCase('Signed Up') // 'signed_up'; snakeCase('videoPlayed') // 'video_played'
 */
export function snakeCase(name: string): string {
  let s = name
    .replace(/([a-z])([A-Z])/g, '$1_$2')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '');
  if (!/^[a-z]/.test(s)) s = `e_${s}`;
  if (/^(ga_|google_|firebase_)/.test(s)) s = `x_${s}`;
  return s.slice(0, NAME_LENGTH).replace(/_+$/, '');
}

/**
 * The GA4 event name of a message: the recommended name for Segment's e-commerce events,
 * `page_view` and `screen_view`, else the event in snake_case.
 *
 * @example
 * ga4EventName({ type: 'track', event: 'Order Completed' }) // 'purchase'
 */
export function ga4EventName(e: Pick<StoredEvent, 'type' | 'event'>): string {
  if (e.type === 'page') return 'page_view';
  if (e.type === 'screen') return 'screen_view';
  return RECOMMENDED[e.event ?? ''] ?? snakeCase(e.event ?? e.type);
}

/** A Segment product as a GA4 item: item_id from product_id else sku. */
export function ga4Item(p: Record<string, unknown>): Record<string, string | number> {
  const item: Record<string, string | number | undefined> = {
    item_id: str(p, 'product_id') ?? str(p, 'sku') ?? str(p, 'id'),
    item_name: str(p, 'name'),
    price: num(p, 'price'),
    quantity: num(p, 'quantity'),
    item_brand: str(p, 'brand'),
    item_category: str(p, 'category'),
    item_variant: str(p, 'variant'),
    coupon: str(p, 'coupon'),
  };
  return Object.fromEntries(Object.entries(item).filter(([, v]) => v !== undefined)) as Record<string, string | number>;
}

/** Parameters of the recommended events, from Segment's e-commerce properties. */
function recommendedParams(name: string, p: StoredEvent['properties']): Record<string, unknown> {
  switch (name) {
    case 'purchase':
    case 'begin_checkout':
      return {
        transaction_id: name === 'purchase' ? str(p, 'order_id') : undefined,
        value: orderValue(p),
        currency: str(p, 'currency'),
        tax: num(p, 'tax'),
        shipping: num(p, 'shipping'),
        coupon: str(p, 'coupon'),
        items: productsOf(p).map(ga4Item),
      };
    case 'view_item':
    case 'add_to_cart': {
      // The product is the event's own properties (Segment's Product Viewed / Product Added).
      const item = isObject(p) ? ga4Item(p) : {};
      const price = num(p, 'price');
      return { currency: str(p, 'currency'), value: num(p, 'value') ?? (price === undefined ? undefined : price * (num(p, 'quantity') ?? 1)), items: [item] };
    }
    default:
      return {};
  }
}

/**
 * One message as a GA4 event `{name, params, timestamp_micros}`: page views carry the page's
 * location, title and referrer; e-commerce events their recommended parameters; every other
 * scalar property goes along snake_cased (up to GA4's 25 parameters, strings cut at 100).
 *
 * @example
 * ga4Event(orderCompleted).params.transaction_id // the order_id
 */
export function ga4Event(e: StoredEvent): { name: string; params: Record<string, unknown>; timestamp_micros: number } {
  const name = ga4EventName(e);
  const p = e.properties;
  const special: Record<string, unknown> =
    e.type === 'page'
      ? { page_location: pageUrl(e), page_title: str(p, 'title') ?? str(e.context.page, 'title'), page_referrer: str(p, 'referrer') ?? str(e.context.page, 'referrer') }
      : e.type === 'screen'
        ? { screen_name: e.name ?? undefined }
        : recommendedParams(name, p);
  const params: Record<string, unknown> = {};
  const put = (key: string, value: unknown) => {
    if (value === undefined || value === null || key in params || Object.keys(params).length >= PARAMS_PER_EVENT) return;
    if (typeof value === 'string') params[key] = value.slice(0, VALUE_LENGTH);
    else if (typeof value === 'number' && Number.isFinite(value)) params[key] = value;
    else if (typeof value === 'boolean') params[key] = String(value);
    else if (key === 'items' && Array.isArray(value)) params[key] = value.slice(0, 200);
  };
  for (const [k, v] of Object.entries(special)) put(k, v);
  if (isObject(p)) for (const [k, v] of Object.entries(p)) if (k !== 'products') put(snakeCase(k), v);
  return { name, params, timestamp_micros: e.timestamp * 1000 };
}

/**
 * Measurement Protocol calls for a run of events: `client_id` is the anonymousId (else the
 * userId), `user_id` the userId; events of the same client and user share a call, 25 at most.
 * GA4 answers 2xx whatever it makes of the payload, so its answer only says it was received;
 * events older than 72 hours (an import of history) are skipped, as GA4 would drop them.
 *
 * @example
 * ga4Requests({ measurementId: 'G-ABC123', apiSecret: 's3cret!!' }, events, Date.now()).requests[0].url
 * // 'https://www.google-analytics.com/mp/collect?measurement_id=G-ABC123&api_secret=s3cret!!'
 */
export function ga4Requests(config: Ga4Config, events: readonly ForwardEvent[], now: number): MappedBatch {
  const skipped = events
    .filter((f) => f.event.timestamp < now - GA4_MAX_AGE_MS)
    .map((f) => ({ deliveryId: f.deliveryId, reason: 'older than the 72 hours GA4 accepts' }));
  const url = apiUrl('ga4', config.endpoint, `/mp/collect?measurement_id=${encodeURIComponent(config.measurementId)}&api_secret=${encodeURIComponent(config.apiSecret)}`);
  const groups = new Map<string, ForwardEvent[]>();
  for (const f of events) {
    if (f.event.timestamp < now - GA4_MAX_AGE_MS) continue;
    const key = JSON.stringify([f.event.anonymousId ?? f.event.userId, f.event.userId]);
    groups.set(key, [...(groups.get(key) ?? []), f]);
  }
  const requests = [...groups.values()].flatMap((group) =>
    chunk(group, EVENTS_PER_REQUEST).map((run) => {
      const first = run[0].event;
      const body = {
        client_id: first.anonymousId ?? first.userId,
        ...(first.userId ? { user_id: first.userId } : {}),
        events: run.map((f) => ga4Event(f.event)),
      };
      return { deliveryIds: run.map((f) => f.deliveryId), url, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) };
    }),
  );
  return { requests, skipped };
}

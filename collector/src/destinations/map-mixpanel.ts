import { hashKey as sha256Hex } from '../auth/keys';
import type { StoredEvent } from '../ingest/normalise';
import { apiUrl, type MixpanelConfig } from './kinds';
import { chunk, isObject, pageUrl, str, type ForwardEvent, type MappedBatch, type PlannedRequest } from './outbound';

// /import takes up to 2000 events (and 10 MB) per call; /engage 2000 profile updates.
const RECORDS_PER_REQUEST = 2000;

/** Segment's reserved traits under Mixpanel's reserved profile property names. */
const PROFILE_NAMES: Readonly<Record<string, string>> = {
  email: '$email',
  name: '$name',
  firstName: '$first_name',
  lastName: '$last_name',
  phone: '$phone',
  avatar: '$avatar',
  createdAt: '$created',
};

/**
 * Mixpanel's `$insert_id` (its deduplication key): the messageId when Mixpanel accepts it as
 * is (at most 36 letters, digits or dashes), else the first 36 hex digits of its SHA-256, so a
 * retried import still dedupes.
 *
 * @example
 * await insertId('3f1c0a9e-2b44-4c1d-9e55-0123456789ab') // unchanged
 * await insertId('ajs-next-1767225600000-3f1c0a9e-2b44') // 36 hex digits
 */
export async function insertId(messageId: string): Promise<string> {
  return /^[A-Za-z0-9-]{1,36}$/.test(messageId) ? messageId : (await sha256Hex(messageId)).slice(0, 36);
}

/** The event name Mixpanel gets: track as sent, page as Mixpanel's own web page view, screen as "Loaded a Screen". */
export const mixpanelEventName = (e: Pick<StoredEvent, 'type' | 'event'>) =>
  e.type === 'page' ? '$mp_web_page_view' : e.type === 'screen' ? 'Loaded a Screen' : (e.event ?? e.type);

/**
 * One behavioural message as an /import record: the event's own properties, then `token`,
 * `distinct_id` (userId else anonymousId), `time` in milliseconds, `$insert_id`, the ids of
 * Mixpanel's simplified identity merge and the sender's IP for geolocation.
 *
 * @example
 * (await mixpanelRecord(config, trackEvent)).properties.time // trackEvent.timestamp
 */
export async function mixpanelRecord(config: MixpanelConfig, e: StoredEvent): Promise<{ event: string; properties: Record<string, unknown> }> {
  const page =
    e.type === 'page' ? { $current_url: pageUrl(e), current_page_title: str(e.properties, 'title') ?? str(e.context.page, 'title') } : {};
  const screen = e.type === 'screen' && e.name ? { screen_name: e.name } : {};
  const properties: Record<string, unknown> = {
    ...(isObject(e.properties) ? e.properties : {}),
    ...page,
    ...screen,
    token: config.projectToken,
    distinct_id: e.userId ?? e.anonymousId ?? '',
    time: e.timestamp,
    $insert_id: await insertId(e.messageId),
    ...(e.anonymousId ? { $device_id: e.anonymousId } : {}),
    ...(e.userId ? { $user_id: e.userId } : {}),
    ...(typeof e.context.ip === 'string' ? { ip: e.context.ip } : {}),
  };
  for (const key of Object.keys(properties)) if (properties[key] === undefined) delete properties[key];
  return { event: mixpanelEventName(e), properties };
}

/**
 * An identify as a people-profile update: the traits `$set` on the user, Segment's reserved
 * traits under Mixpanel's names; `$ip: 0` so Mixpanel does not place the person at our server.
 *
 * @example
 * mixpanelProfileSet(config, identify).$set.$email // identify.traits.email
 */
export function mixpanelProfileSet(config: MixpanelConfig, e: StoredEvent): Record<string, unknown> {
  const set: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(e.traits ?? {})) set[PROFILE_NAMES[k] ?? k] = v;
  return { $token: config.projectToken, $distinct_id: e.userId ?? e.anonymousId ?? '', $ip: 0, $set: set };
}

/**
 * Calls for a run of events: behaviour to `/import?strict=1` with Basic auth (the API secret as
 * user name, no password), identifies to `/engage#profile-set`.
 *
 * @example
 * (await mixpanelRequests(config, events)).requests.map((r) => new URL(r.url).pathname) // ['/import', '/engage']
 */
export async function mixpanelRequests(config: MixpanelConfig, events: readonly ForwardEvent[]): Promise<MappedBatch> {
  const requests: PlannedRequest[] = [];
  const track = events.filter((f) => f.event.type !== 'identify');
  const identify = events.filter((f) => f.event.type === 'identify');
  const json = { 'content-type': 'application/json', accept: 'application/json' };
  for (const run of chunk(track, RECORDS_PER_REQUEST)) {
    requests.push({
      deliveryIds: run.map((f) => f.deliveryId),
      url: apiUrl('mixpanel', config.endpoint, '/import?strict=1'),
      headers: { ...json, authorization: `Basic ${btoa(`${config.apiSecret}:`)}` },
      body: JSON.stringify(await Promise.all(run.map((f) => mixpanelRecord(config, f.event)))),
      partialFailures: 'mixpanel',
    });
  }
  for (const run of chunk(identify, RECORDS_PER_REQUEST)) {
    requests.push({
      deliveryIds: run.map((f) => f.deliveryId),
      url: apiUrl('mixpanel', config.endpoint, '/engage#profile-set'),
      headers: json,
      body: JSON.stringify(run.map((f) => mixpanelProfileSet(config, f.event))),
    });
  }
  return { requests, skipped: [] };
}

import { MESSAGE_TYPES } from '../../../sdk/src/contract';
import { badRequest } from '../http/errors';
import { DESTINATION_EVENTS, type Destination, type DestinationEvent } from '../store/destinations';
import { DEFAULT_ENDPOINTS, DESTINATION_KINDS, SUPPORTED_TYPES, type DestinationKind } from './kinds';

/** A destination as the request describes it, checked; segment keys still need checking against the workspace. */
export type DestinationSpec = Omit<Destination, 'id' | 'createdAt'>;

type Body = Record<string, unknown>;

// Each vendor field: required or not, and the pattern its value must match.
type FieldRule = { required: boolean; pattern: RegExp; hint: string };
const TOKEN = { pattern: /^[\x21-\x7e]{8,1000}$/, hint: '8 to 1000 visible ASCII characters' };
const CONFIG_RULES: Record<'ga4' | 'mixpanel' | 'meta' | 'whatsapp', Record<string, FieldRule>> = {
  ga4: {
    measurementId: { required: true, pattern: /^G-[A-Z0-9]{4,20}$/, hint: 'a GA4 measurement ID like G-XXXXXXXXXX' },
    apiSecret: { required: true, ...TOKEN },
  },
  mixpanel: {
    projectToken: { required: true, pattern: /^[A-Za-z0-9_-]{8,100}$/, hint: 'the project token (letters and digits)' },
    apiSecret: { required: true, ...TOKEN },
  },
  meta: {
    pixelId: { required: true, pattern: /^\d{5,25}$/, hint: 'the numeric pixel (dataset) ID' },
    accessToken: { required: true, ...TOKEN },
    testEventCode: { required: false, pattern: /^[A-Za-z0-9_]{1,64}$/, hint: 'a Test Events code like TEST12345' },
  },
  whatsapp: {
    phoneNumberId: { required: true, pattern: /^\d{5,25}$/, hint: 'the numeric phone number ID of the WhatsApp Business number' },
    accessToken: { required: true, ...TOKEN },
    template: { required: true, pattern: /^[a-z0-9_]{1,512}$/, hint: 'an approved template name (lower case, digits, underscores)' },
    language: { required: true, pattern: /^[a-z]{2,3}(_[A-Z]{2})?$/, hint: 'a template language code like en_US or id' },
  },
};

/** A consent category becomes a JSON path in SQL: no quotes or backslashes can reach it. */
const CONSENT_CATEGORY = /^[A-Za-z0-9_ .:-]{1,64}$/;

/**
 * Checks a `POST /v1/destinations` body (everything but whether the segment keys exist) and
 * answers what to store; a bad field is a 400 that names it (`config.apiSecret`, `filter.types[1]`).
 *
 * @example
 * checkDestinationBody({ kind: 'ga4', config: { measurementId: 'G-ABC123', apiSecret: 'sec_12345678' } }).filterTypes
 * // ['track', 'page', 'screen']
 */
export function checkDestinationBody(body: Body): DestinationSpec {
  const kind = body.kind ?? 'segments';
  if (typeof kind !== 'string' || !(DESTINATION_KINDS as readonly string[]).includes(kind)) {
    throw badRequest('invalid_field', `kind must be one of ${DESTINATION_KINDS.join(', ')}`, 'kind');
  }
  const k = kind as DestinationKind;
  const consentCategory = checkConsentCategory(body.consentCategory);
  if (k === 'segments' || k === 'webhook') {
    if (body.config !== undefined) throw badRequest('invalid_field', `${k} destinations take url and secret, not config`, 'config');
  }
  if (k === 'segments') {
    rejectFilter(body, k);
    return {
      kind: k,
      url: checkUrl(body.url, 'url'),
      secret: checkSecret(body.secret),
      segments: checkSegmentKeys(body.segments, false),
      events: body.events === undefined ? [...DESTINATION_EVENTS] : checkEvents(body.events),
      config: null,
      filterTypes: null,
      filterEvents: null,
      consentCategory,
    };
  }
  if (k === 'whatsapp') {
    rejectFilter(body, k);
    if (body.events !== undefined) throw badRequest('invalid_field', 'whatsapp destinations send on segment entry only', 'events');
    const config = checkConfig(k, body.config);
    return {
      kind: k,
      url: config.endpoint ?? DEFAULT_ENDPOINTS[k],
      secret: '',
      segments: checkSegmentKeys(body.segments, true),
      // Entries only: the existing fan-out of segment changes picks WhatsApp up through this.
      events: ['segment.entered'],
      config,
      filterTypes: null,
      filterEvents: null,
      consentCategory,
    };
  }
  for (const field of ['segments', 'events'] as const) {
    if (body[field] !== undefined) throw badRequest('invalid_field', `${field} applies to segment-triggered destinations; use filter`, field);
  }
  const filter = checkFilter(k, body.filter);
  const webhook = k === 'webhook';
  const config = webhook ? null : checkConfig(k, body.config);
  return {
    kind: k,
    url: webhook ? checkUrl(body.url, 'url') : (config?.endpoint ?? DEFAULT_ENDPOINTS[k as keyof typeof DEFAULT_ENDPOINTS]),
    secret: webhook ? checkSecret(body.secret) : '',
    segments: null,
    // No segment changes reach event destinations: the fan-out matches none of an empty list.
    events: [],
    config,
    ...filter,
    consentCategory,
  };
}

function checkConfig(kind: keyof typeof CONFIG_RULES, v: unknown): Record<string, string> {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw badRequest('invalid_field', `config must be an object`, 'config');
  const given = v as Body;
  const rules = CONFIG_RULES[kind];
  const out: Record<string, string> = {};
  for (const key of Object.keys(given)) {
    if (!(key in rules) && key !== 'endpoint') throw badRequest('invalid_field', `Unknown field ${key} for ${kind}`, `config.${key}`);
  }
  for (const [key, rule] of Object.entries(rules)) {
    const value = given[key];
    if (value === undefined && !rule.required) continue;
    if (typeof value !== 'string' || !rule.pattern.test(value)) {
      throw badRequest('invalid_field', `config.${key} must be ${rule.hint}`, `config.${key}`);
    }
    out[key] = value;
  }
  if (given.endpoint !== undefined) out.endpoint = checkEndpoint(given.endpoint);
  return out;
}

/** An origin with an optional base path: no query, fragment or credentials (the API's own path follows). */
function checkEndpoint(v: unknown): string {
  const url = checkUrl(v, 'config.endpoint');
  const parsed = new URL(url);
  if (parsed.search || parsed.hash || parsed.username || parsed.password) {
    throw badRequest('invalid_field', 'config.endpoint is an origin with an optional base path, without query or credentials', 'config.endpoint');
  }
  return url.replace(/\/+$/, '');
}

function checkFilter(kind: keyof typeof SUPPORTED_TYPES, v: unknown): { filterTypes: string[] | null; filterEvents: string[] | null } {
  const supported = SUPPORTED_TYPES[kind];
  const everything = supported.length === MESSAGE_TYPES.length;
  if (v === undefined || v === null) return { filterTypes: everything ? null : [...supported], filterEvents: null };
  if (typeof v !== 'object' || Array.isArray(v)) throw badRequest('invalid_field', 'filter must be an object {types?, events?}', 'filter');
  const f = v as Body;
  for (const key of Object.keys(f)) {
    if (key !== 'types' && key !== 'events') throw badRequest('invalid_field', `Unknown filter field ${key}`, `filter.${key}`);
  }
  const types = f.types === undefined ? undefined : checkStringList(f.types, 'filter.types', 50, 200);
  types?.forEach((t, i) => {
    if (!(supported as readonly string[]).includes(t)) {
      throw badRequest('invalid_field', `${kind} takes ${supported.join(', ')}`, `filter.types[${i}]`);
    }
  });
  const events = f.events === undefined ? null : checkStringList(f.events, 'filter.events', 200, 200);
  // Event names name track events: with events and no types, only those tracks pass.
  const filterTypes = types ?? (events ? ['track'] : everything ? null : [...supported]);
  return { filterTypes: filterTypes && [...new Set(filterTypes)], filterEvents: events && [...new Set(events)] };
}

function rejectFilter(body: Body, kind: string) {
  if (body.filter !== undefined) throw badRequest('invalid_field', `filter applies to event destinations, not ${kind}`, 'filter');
}

function checkStringList(v: unknown, field: string, maxItems: number, maxLength: number): string[] {
  if (!Array.isArray(v) || v.length === 0 || v.length > maxItems) {
    throw badRequest('invalid_field', `${field} must be a non-empty array of at most ${maxItems} strings`, field);
  }
  v.forEach((s, i) => {
    if (typeof s !== 'string' || s.length === 0 || s.length > maxLength) {
      throw badRequest('invalid_field', `${field}[${i}] must be a string of 1 to ${maxLength} characters`, `${field}[${i}]`);
    }
  });
  return v as string[];
}

function checkConsentCategory(v: unknown): string | null {
  if (v === undefined || v === null) return null;
  if (typeof v !== 'string' || !CONSENT_CATEGORY.test(v)) {
    throw badRequest('invalid_field', 'consentCategory must be 1 to 64 letters, digits, spaces or _.:-', 'consentCategory');
  }
  return v;
}

function checkSegmentKeys(v: unknown, required: boolean): string[] | null {
  if ((v === undefined || v === null) && !required) return null;
  if (!Array.isArray(v) || v.some((k) => typeof k !== 'string') || (required && v.length === 0)) {
    throw badRequest('invalid_field', `segments must be ${required ? 'a non-empty' : 'an'} array of segment keys`, 'segments');
  }
  return [...new Set(v as string[])];
}

function checkSecret(v: unknown): string {
  if (typeof v !== 'string' || v.length < 16 || v.length > 200) {
    throw badRequest('invalid_field', 'secret must be a string of 16 to 200 characters', 'secret');
  }
  return v;
}

function checkUrl(v: unknown, field: string): string {
  let url: URL;
  try {
    url = new URL(String(v));
  } catch {
    throw badRequest('invalid_field', `${field} must be an absolute http(s) URL`, field);
  }
  if (typeof v !== 'string' || (url.protocol !== 'https:' && url.protocol !== 'http:') || v.length > 2000) {
    throw badRequest('invalid_field', `${field} must be an absolute http(s) URL`, field);
  }
  return url.toString();
}

function checkEvents(v: unknown): DestinationEvent[] {
  const allowed = DESTINATION_EVENTS as readonly string[];
  if (!Array.isArray(v) || v.length === 0 || v.some((e) => !allowed.includes(e))) {
    throw badRequest('invalid_field', `events must be a non-empty array of ${DESTINATION_EVENTS.join(', ')}`, 'events');
  }
  return [...new Set(v as DestinationEvent[])];
}

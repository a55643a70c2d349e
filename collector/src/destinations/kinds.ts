import { MESSAGE_TYPES, type MessageType } from '../../../sdk/src/contract';

/** Destinations that receive every accepted event (after their filter). */
export const EVENT_KINDS = ['webhook', 'ga4', 'mixpanel', 'meta'] as const;
export type EventKind = (typeof EVENT_KINDS)[number];

/** `segments` (signed segment webhooks, the default) and `whatsapp` are triggered by segment changes. */
export const DESTINATION_KINDS = ['segments', ...EVENT_KINDS, 'whatsapp'] as const;
export type DestinationKind = (typeof DESTINATION_KINDS)[number];

export const isEventKind = (k: string): k is EventKind => (EVENT_KINDS as readonly string[]).includes(k);

/**
 * The message types each vendor has a mapping for. A filter may narrow them; naming another
 * type is a 400, and without a filter these are stored, so nothing unmappable is ever queued.
 * GA4 and Meta take behaviour only; Mixpanel also takes identify (its people profile's $set);
 * the webhook takes everything.
 */
export const SUPPORTED_TYPES: Readonly<Record<EventKind, readonly MessageType[]>> = {
  webhook: MESSAGE_TYPES,
  ga4: ['track', 'page', 'screen'],
  mixpanel: ['track', 'page', 'screen', 'identify'],
  meta: ['track', 'page'],
};

/** Where each vendor's API lives; `config.endpoint` replaces this origin (tests, proxies, EU residency). */
export const DEFAULT_ENDPOINTS: Readonly<Record<Exclude<DestinationKind, 'segments' | 'webhook'>, string>> = {
  ga4: 'https://www.google-analytics.com',
  mixpanel: 'https://api.mixpanel.com',
  meta: 'https://graph.facebook.com',
  whatsapp: 'https://graph.facebook.com',
};

/** Graph API version for Meta's Conversions API and WhatsApp Cloud API (each version lives two years). */
export const GRAPH_API_VERSION = 'v25.0';

/** Config fields that are secrets: write-only, masked in every read. */
export const SECRET_FIELDS: Readonly<Record<string, readonly string[]>> = {
  ga4: ['apiSecret'],
  mixpanel: ['apiSecret'],
  meta: ['accessToken'],
  whatsapp: ['accessToken'],
};

export interface Ga4Config {
  measurementId: string;
  apiSecret: string;
  endpoint?: string;
}
export interface MixpanelConfig {
  projectToken: string;
  apiSecret: string;
  endpoint?: string;
}
export interface MetaConfig {
  pixelId: string;
  accessToken: string;
  /** Meta's Test Events code: events show up under Test events only (setting a pixel up). */
  testEventCode?: string;
  endpoint?: string;
}
export interface WhatsAppConfig {
  phoneNumberId: string;
  accessToken: string;
  template: string;
  language: string;
  endpoint?: string;
}

/**
 * The full URL of a vendor call: `endpoint` (scheme, host, port, optional base path) or the
 * vendor's origin, then the API's own path.
 *
 * @example
 * apiUrl('ga4', 'http://localhost:9000/proxy', '/mp/collect') // 'http://localhost:9000/proxy/mp/collect'
 */
export function apiUrl(kind: keyof typeof DEFAULT_ENDPOINTS, endpoint: string | undefined, path: string): string {
  return `${(endpoint ?? DEFAULT_ENDPOINTS[kind]).replace(/\/+$/, '')}${path}`;
}

/**
 * A secret as reads show it: its first 4 characters, then dots.
 *
 * @example
 * maskSecret('whsec_0123456789') // 'whse••••••••'
 */
export const maskSecret = (secret: string) => `${secret.slice(0, 4)}${'•'.repeat(8)}`;

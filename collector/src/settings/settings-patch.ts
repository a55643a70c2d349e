import { badRequest } from '../http/errors';
import { isPhoneCountry } from '../identity/phone';
import { DEFAULT_CAPS, type IdentityCaps } from '../identity/planner';
import type { IpPolicy, WorkspaceSettings } from '../store/workspaces';

const IP_POLICIES: readonly IpPolicy[] = ['keep', 'truncate', 'drop'];
// Consent categories are names chosen by the site's consent manager (Segment: "Advertising",
// "Analytics", ...): letters, digits and a few separators, short.
const CATEGORY = /^[\p{L}\p{N}][\p{L}\p{N} _.:-]{0,63}$/u;
const CAP_KEYS = ['maxIdentifiers', 'maxMerges'] as const satisfies readonly (keyof IdentityCaps)[];
// A cap above this stops being a guard: one profile would read and write that many rows per event.
const MAX_CAP = 10_000;

/** Every key `PATCH /v1/settings` takes, as the API names it (and as a 400's `field` does). */
export const EDITABLE_SETTINGS = ['ipPolicy', 'requiredConsent', 'defaultCountry', ...CAP_KEYS.map((k) => `identity.${k}`), 'predictions.orderEvent', 'retention.hotDays'] as const;

/** Days of events D1 keeps (by event time) when the workspace names none; older ones are read from the R2 archive. */
export const DEFAULT_HOT_DAYS = 400;
// A hot window longer than this is no window: about a century.
const MAX_HOT_DAYS = 36_500;

/**
 * The workspace's hot window in days: `settings.retention.hotDays`, else 400.
 *
 * @example
 * hotDaysOf({ ipPolicy: 'keep', retention: { hotDays: 30 } }) // -> 30
 */
export function hotDaysOf(settings: WorkspaceSettings): number {
  const r = settings.retention as { hotDays?: unknown } | undefined;
  return typeof r?.hotDays === 'number' && Number.isInteger(r.hotDays) && r.hotDays > 0 ? r.hotDays : DEFAULT_HOT_DAYS;
}

/** The event the predictive models count as an order when the workspace names none. */
export const DEFAULT_ORDER_EVENT = 'Order Completed';

/**
 * The workspace's order event: `settings.predictions.orderEvent`, else `Order Completed`.
 *
 * @example
 * orderEventOf({ ipPolicy: 'keep', predictions: { orderEvent: 'Purchase' } }) // -> 'Purchase'
 */
export function orderEventOf(settings: WorkspaceSettings): string {
  const p = settings.predictions as { orderEvent?: unknown } | undefined;
  return typeof p?.orderEvent === 'string' ? p.orderEvent : DEFAULT_ORDER_EVENT;
}

const invalid = (field: string, message: string) => badRequest('invalid_field', message, field);

/**
 * Identity caps of a workspace: `settings.identity.{maxIdentifiers,maxMerges}`, else the defaults.
 * Tolerant of stored values older than validation (anything but a positive integer is the default).
 *
 * @example
 * identityCapsOf({ ipPolicy: 'keep', identity: { maxMerges: 5 } }) // -> { maxIdentifiers: 100, maxMerges: 5 }
 */
export function identityCapsOf(settings: WorkspaceSettings): IdentityCaps {
  const s = settings.identity as Partial<IdentityCaps> | undefined;
  const pick = (v: unknown, d: number) => (typeof v === 'number' && Number.isInteger(v) && v > 0 ? v : d);
  return { maxIdentifiers: pick(s?.maxIdentifiers, DEFAULT_CAPS.maxIdentifiers), maxMerges: pick(s?.maxMerges, DEFAULT_CAPS.maxMerges) };
}

/**
 * Flattens a patch to `field -> value` pairs: `{"identity":{"maxMerges":5}}` and
 * `{"identity.maxMerges":5}` are the same change; `{"identity":null}` resets both caps.
 */
function flatten(patch: Record<string, unknown>): [string, unknown][] {
  const out: [string, unknown][] = [];
  for (const [field, value] of Object.entries(patch)) {
    if (field === 'retention') {
      // {"retention": {"hotDays": 90}} or null (back to the default)
      if (value === null) out.push(['retention.hotDays', null]);
      else if (typeof value === 'object' && !Array.isArray(value)) for (const [k, v] of Object.entries(value)) out.push([`retention.${k}`, v]);
      else throw invalid('retention', 'retention must be an object such as {"hotDays": 400}, or null');
    } else if (field === 'predictions') {
      // {"predictions": {"orderEvent": "Purchase"}} or null (back to the default)
      if (value === null) out.push(['predictions.orderEvent', null]);
      else if (typeof value === 'object' && !Array.isArray(value)) for (const [k, v] of Object.entries(value)) out.push([`predictions.${k}`, v]);
      else throw invalid('predictions', 'predictions must be an object such as {"orderEvent": "Order Completed"}, or null');
    } else if (field !== 'identity') {
      out.push([field, value]);
    } else if (value === null) {
      for (const k of CAP_KEYS) out.push([`identity.${k}`, null]);
    } else if (typeof value === 'object' && !Array.isArray(value)) {
      for (const [k, v] of Object.entries(value)) out.push([`identity.${k}`, v]);
    } else {
      throw invalid('identity', 'identity must be an object such as {"maxIdentifiers": 100, "maxMerges": 50}, or null');
    }
  }
  return out;
}

function setCap(next: WorkspaceSettings, key: (typeof CAP_KEYS)[number], value: unknown) {
  const field = `identity.${key}`;
  const caps = { ...((next.identity as Partial<IdentityCaps> | undefined) ?? {}) };
  if (value === null) delete caps[key];
  else if (typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= MAX_CAP) caps[key] = value;
  else throw invalid(field, `${field} must be an integer from 1 to ${MAX_CAP}, or null for the default (${DEFAULT_CAPS[key]})`);
  if (Object.keys(caps).length > 0) next.identity = caps;
  else delete next.identity;
}

/**
 * Applies a settings patch to the current settings. `null` removes an optional setting (a cap
 * goes back to its default); unknown fields and wrong types are refused with a 400 naming the
 * field, so a typo never silently does nothing. Pure: the route stores the result.
 *
 * @example
 * applySettingsPatch({ ipPolicy: 'truncate' }, { ipPolicy: 'drop', identity: { maxMerges: 5 } })
 * // -> { ipPolicy: 'drop', identity: { maxMerges: 5 } }
 */
export function applySettingsPatch(current: WorkspaceSettings, patch: Record<string, unknown>): WorkspaceSettings {
  const next: WorkspaceSettings = { ...current };
  for (const [field, value] of flatten(patch)) {
    switch (field) {
      case 'ipPolicy':
        if (!IP_POLICIES.includes(value as IpPolicy)) throw invalid(field, `ipPolicy must be one of ${IP_POLICIES.join(', ')}`);
        next.ipPolicy = value as IpPolicy;
        break;
      case 'requiredConsent':
        if (value === null) delete next.requiredConsent;
        else if (typeof value === 'string' && CATEGORY.test(value)) next.requiredConsent = value;
        else throw invalid(field, 'requiredConsent must be a consent category name (1-64 characters) or null');
        break;
      case 'defaultCountry':
        if (value === null) delete next.defaultCountry;
        else if (typeof value === 'string' && /^[a-z]{2}$/i.test(value) && isPhoneCountry(value)) next.defaultCountry = value.toUpperCase();
        else throw invalid(field, 'defaultCountry must be an ISO 3166 two-letter country code with a phone numbering plan, or null');
        break;
      case 'identity.maxIdentifiers':
      case 'identity.maxMerges':
        setCap(next, field.slice('identity.'.length) as (typeof CAP_KEYS)[number], value);
        break;
      case 'predictions.orderEvent':
        if (value === null) delete next.predictions;
        else if (typeof value === 'string' && value.length > 0 && value.length <= 200) next.predictions = { orderEvent: value };
        else throw invalid(field, 'predictions.orderEvent must be an event name (1-200 characters), or null for "Order Completed"');
        break;
      case 'retention.hotDays':
        if (value === null) delete next.retention;
        else if (typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= MAX_HOT_DAYS) next.retention = { hotDays: value };
        else throw invalid(field, `retention.hotDays must be an integer from 1 to ${MAX_HOT_DAYS}, or null for the default (${DEFAULT_HOT_DAYS})`);
        break;
      default:
        throw invalid(field, `Unknown setting; editable settings are ${EDITABLE_SETTINGS.join(', ')}`);
    }
  }
  return next;
}

/**
 * The settings as the API shows them: every editable setting, optional ones as null when unset,
 * the identity caps as they apply (defaults included).
 *
 * @example
 * settingsView({ ipPolicy: 'truncate' })
 * // -> { ipPolicy: 'truncate', requiredConsent: null, defaultCountry: null, identity: { maxIdentifiers: 100, maxMerges: 50 },
 * //      predictions: { orderEvent: 'Order Completed' }, retention: { hotDays: 400 } }
 */
export function settingsView(settings: WorkspaceSettings) {
  return {
    ipPolicy: settings.ipPolicy,
    requiredConsent: typeof settings.requiredConsent === 'string' ? settings.requiredConsent : null,
    defaultCountry: typeof settings.defaultCountry === 'string' ? settings.defaultCountry : null,
    identity: identityCapsOf(settings),
    predictions: { orderEvent: orderEventOf(settings) },
    retention: { hotDays: hotDaysOf(settings) },
  };
}

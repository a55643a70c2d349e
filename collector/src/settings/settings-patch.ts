import { badRequest } from '../http/errors';
import type { IpPolicy, WorkspaceSettings } from '../store/workspaces';

const IP_POLICIES: readonly IpPolicy[] = ['keep', 'truncate', 'drop'];
// Consent categories are names chosen by the site's consent manager (Segment: "Advertising",
// "Analytics", ...): letters, digits and a few separators, short.
const CATEGORY = /^[\p{L}\p{N}][\p{L}\p{N} _.:-]{0,63}$/u;
const EDITABLE = ['ipPolicy', 'requiredConsent', 'defaultCountry'] as const;

/**
 * Applies a settings patch to the current settings. `null` removes an optional setting;
 * unknown fields are refused so a typo never silently does nothing.
 *
 * @example
 * applySettingsPatch({ ipPolicy: 'truncate' }, { ipPolicy: 'drop', requiredConsent: 'Analytics' })
 * // -> { ipPolicy: 'drop', requiredConsent: 'Analytics' }
 */
export function applySettingsPatch(current: WorkspaceSettings, patch: Record<string, unknown>): WorkspaceSettings {
  const next: WorkspaceSettings = { ...current };
  for (const [field, value] of Object.entries(patch)) {
    if (!(EDITABLE as readonly string[]).includes(field)) {
      throw badRequest('invalid_field', `Unknown setting; editable settings are ${EDITABLE.join(', ')}`, field);
    }
    if (field === 'ipPolicy') {
      if (!IP_POLICIES.includes(value as IpPolicy)) {
        throw badRequest('invalid_field', `ipPolicy must be one of ${IP_POLICIES.join(', ')}`, field);
      }
      next.ipPolicy = value as IpPolicy;
    } else if (field === 'requiredConsent') {
      if (value === null) delete next.requiredConsent;
      else if (typeof value === 'string' && CATEGORY.test(value)) next.requiredConsent = value;
      else throw badRequest('invalid_field', 'requiredConsent must be a consent category name (1-64 characters) or null', field);
    } else {
      if (value === null) delete next.defaultCountry;
      else if (typeof value === 'string' && /^[a-z]{2}$/i.test(value)) next.defaultCountry = value.toUpperCase();
      else throw badRequest('invalid_field', 'defaultCountry must be an ISO 3166 two-letter country code or null', field);
    }
  }
  return next;
}

/** The settings as the API shows them. */
export function settingsView(settings: WorkspaceSettings) {
  return {
    ipPolicy: settings.ipPolicy,
    requiredConsent: typeof settings.requiredConsent === 'string' ? settings.requiredConsent : null,
    defaultCountry: typeof settings.defaultCountry === 'string' ? settings.defaultCountry : null,
  };
}

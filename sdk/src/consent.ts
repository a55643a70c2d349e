/** Segment's `context.consent.categoryPreferences`: category name -> granted. */
export type CategoryPreferences = Record<string, boolean>;

/**
 * What the SDK may do right now:
 * - `send`: collect and deliver;
 * - `hold`: collect into the queue but send nothing (consent required, not given yet);
 * - `off`: collect nothing (opted out, or consent refused for the required category).
 */
export type ConsentMode = 'send' | 'hold' | 'off';

/**
 * The consent rule, pure. `required` is false (no consent needed), true (any granted category
 * is enough) or the name of the category that must be granted (e.g. "analytics").
 *
 * @example
 * consentMode('analytics', null, false) // -> 'hold'
 * consentMode('analytics', { analytics: true }, false) // -> 'send'
 * consentMode(false, null, true) // -> 'off'
 */
export function consentMode(
  required: boolean | string | undefined,
  preferences: CategoryPreferences | null | undefined,
  optedOut: boolean,
): ConsentMode {
  if (optedOut) return 'off';
  if (!required) return 'send';
  if (!preferences) return 'hold';
  const granted = required === true ? Object.values(preferences).some(Boolean) : preferences[required];
  return granted ? 'send' : 'off';
}

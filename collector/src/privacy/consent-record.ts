import type { JsonObject } from '../../../sdk/src/contract';
import { consentReplaces } from '../identity/profile-state';
import type { StoredEvent } from '../ingest/normalise';
import { findConsentOf, updateConsentStatement } from '../store/privacy';
import type { IdentifiersOf } from './gate';

const isObject = (v: unknown): v is JsonObject => v !== null && typeof v === 'object' && !Array.isArray(v);

/**
 * Folds an event's `categoryPreferences` into a profile's consent: per category, the latest
 * event time wins, a refusal at equal times (`consentReplaces`, the rule identity's profile
 * folding uses). Returns null when nothing changes.
 *
 * @example
 * foldConsent({ Analytics: { granted: true, updatedAt: 1 } }, { Analytics: false }, 2)
 * // -> { Analytics: { granted: false, updatedAt: 2 } }
 */
export function foldConsent(
  current: Record<string, { granted: boolean; updatedAt: number }>,
  preferences: JsonObject,
  at: number,
): Record<string, { granted: boolean; updatedAt: number }> | null {
  const next = { ...current };
  let changed = false;
  for (const [category, granted] of Object.entries(preferences)) {
    if (typeof granted !== 'boolean') continue;
    if (!consentReplaces(granted, at, next[category])) continue;
    next[category] = { granted, updatedAt: at };
    changed = true;
  }
  return changed ? next : null;
}

/**
 * An event discarded for lack of consent is not stored, yet what it says about consent (most
 * often a withdrawal) must still reach the known person's profile, or the profile API would go
 * on showing a consent that was taken back. Unknown people get no profile: nothing is created.
 * Rare path: only discarded events that carry a consent object get here.
 *
 * @example
 * await recordConsentOfDiscarded(db, workspace.id, discarded, (e) => eventIdentifiers(e).ids);
 */
export async function recordConsentOfDiscarded(
  db: D1Database,
  workspaceId: string,
  discarded: readonly StoredEvent[],
  identifiersOf: IdentifiersOf,
  defaultCountry?: string,
  now = Date.now(),
): Promise<void> {
  for (const event of discarded) {
    const consent = event.context?.consent;
    if (!isObject(consent) || !isObject(consent.categoryPreferences)) continue;
    // Two tries: a concurrent identity write bumps the version between our read and write.
    for (let attempt = 0; attempt < 2; attempt++) {
      const row = await findConsentOf(db, workspaceId, identifiersOf(event, defaultCountry));
      const next = row && foldConsent(row.consent, consent.categoryPreferences, event.timestamp);
      if (!row || !next) break;
      const result = await updateConsentStatement(db, workspaceId, { ...row, consent: next }, now).run();
      if ((result.meta.changes ?? 0) > 0) break;
    }
  }
}

import type { StoredEvent } from '../ingest/normalise';
import { addDiscardedStatement, findSuppressed, hasSuppressions } from '../store/privacy';
import { storageCall } from '../store/storage-call';
import type { Workspace } from '../store/workspaces';
import { mayStore } from './consent-gate';
import { recordConsentOfDiscarded } from './consent-record';
import { hashIdentifier } from './id-hash';

/** The identifiers of an event, normalised as the identities table stores them. */
export type IdentifiersOf = (event: StoredEvent, defaultCountry?: string) => { type: string; value: string }[];

/**
 * The ingest hook of privacy: which of a request's valid events may be stored. Events without
 * the workspace's required consent category, and events carrying a suppressed identifier, are
 * accepted (the sender must not retry them) and discarded, and counted in privacy_stats.
 *
 * @example
 * const kept = await privacyGate(db, workspace, events, (e) => eventIdentifiers(e).ids);
 */
export async function privacyGate(
  db: D1Database,
  workspace: Workspace,
  events: readonly StoredEvent[],
  identifiersOf: IdentifiersOf,
  now = Date.now(),
  /** Whether the workspace suppresses anyone, when the caller already read it; else one probe. */
  suppressing?: boolean,
): Promise<readonly StoredEvent[]> {
  const required = workspace.settings.requiredConsent;
  const consented = typeof required === 'string' ? events.filter((e) => mayStore(e.context, required)) : events;
  const consentDiscarded = events.length - consented.length;
  if (consentDiscarded > 0) {
    const allowed = new Set(consented);
    const refused = events.filter((e) => !allowed.has(e));
    await storageCall(() => recordConsentOfDiscarded(db, workspace.id, refused, identifiersOf, workspace.settings.defaultCountry, now));
  }

  // Hashing every identifier costs more than the store itself on big batches: only pay for it
  // when the workspace suppresses someone.
  suppressing ??= await storageCall(() => hasSuppressions(db, workspace.id));
  const kept = suppressing && consented.length > 0 ? await unsuppressed(db, workspace, consented, identifiersOf) : consented;
  const suppressedDiscarded = consented.length - kept.length;

  if (consentDiscarded + suppressedDiscarded > 0) {
    await storageCall(() => addDiscardedStatement(db, workspace.id, consentDiscarded, suppressedDiscarded, now).run());
  }
  return kept;
}

/** The events none of whose identifiers is suppressed: each distinct id hashed once, one lookup. */
async function unsuppressed(db: D1Database, workspace: Workspace, events: readonly StoredEvent[], identifiersOf: IdentifiersOf): Promise<readonly StoredEvent[]> {
  const keysOf = new Map<StoredEvent, string[]>();
  const distinct = new Map<string, { type: string; value: string }>();
  for (const event of events) {
    const keys = identifiersOf(event, workspace.settings.defaultCountry).map((id) => {
      const key = `${id.type}\u0000${id.value}`;
      distinct.set(key, id);
      return key;
    });
    keysOf.set(event, keys);
  }
  const hashes = new Map(await Promise.all([...distinct].map(async ([key, id]) => [key, await hashIdentifier(workspace.id, id)] as const)));
  const suppressed = await storageCall(() => findSuppressed(db, workspace.id, [...hashes.values()]));
  return suppressed.size === 0 ? events : events.filter((e) => !keysOf.get(e)!.some((k) => suppressed.has(hashes.get(k)!)));
}

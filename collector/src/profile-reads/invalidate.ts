import type { Env } from '../env';
import type { StoredEvent } from '../ingest/normalise';
import { mayStore } from '../privacy/consent-gate';
import type { Workspace } from '../store/workspaces';
import type { ReadScope } from './profile-reads';

/**
 * The profile read store of a workspace (profile-reads.ts): one Durable Object per workspace.
 *
 * @example
 * const answer = await profileReadsOf(env, workspaceId).profile({ database, workspaceId, selector });
 */
export function profileReadsOf(env: Pick<Env, 'PROFILE_READS'>, workspaceId: string) {
  return env.PROFILE_READS.get(env.PROFILE_READS.idFromName(workspaceId));
}

/**
 * THE one call for every writer of what a profile read shows (profiles, identities, traits,
 * consent, events, accounts and memberships of accounts, computed traits, prediction models):
 * after the D1 write has committed, and before the writer reports success, name the canonical
 * profiles it changed (a merge: the survivor and every absorbed one; a split: both sides), or
 * `'all'` when it cannot say which; an erasure says `erased: true`, and the stored views go at once.
 * Stored reads of them stop answering (the store reads them again once writes are quiet), and a
 * read racing the write keeps nothing. A writer that skips this call serves stale reads until the
 * store's safety sweep (at most MAX_AGE_MS, 24 h).
 *
 * @example
 * await db.batch(splitStatements(...));
 * await invalidateProfileReads(env, workspaceId, { profileIds: [canonicalId, absorbedId] });
 */
export async function invalidateProfileReads(env: Pick<Env, 'PROFILE_READS'>, workspaceId: string, scope: ReadScope): Promise<void> {
  if (scope !== 'all' && scope.profileIds.length === 0) return;
  await profileReadsOf(env, workspaceId).invalidate(workspaceId, scope);
}

/**
 * What a resolved batch changed for readers: the profiles it touched and absorbed, or all of them
 * when it may have changed profiles it cannot name. A `group` call changes an account's traits,
 * which every member's profile shows; a discarded event that carries consent updates a known
 * person's consent (privacy/consent-record.ts) without naming the profile.
 *
 * @example
 * batchReadScope(workspace, events, outcome) // -> { profileIds: ['prof_a', 'prof_b'] } or 'all'
 */
export function batchReadScope(
  workspace: Pick<Workspace, 'settings'>,
  events: readonly Pick<StoredEvent, 'type' | 'context'>[],
  outcome: { touchedProfileIds: readonly string[]; absorbedProfileIds: readonly string[] },
): ReadScope {
  const required = workspace.settings.requiredConsent;
  const sweeping = events.some(
    (e) => e.type === 'group' || (typeof required === 'string' && e.context?.consent !== undefined && !mayStore(e.context, required)),
  );
  return sweeping ? 'all' : { profileIds: [...outcome.touchedProfileIds, ...outcome.absorbedProfileIds] };
}

import type { Env } from '../env';
import type { StoredEvent } from '../ingest/normalise';
import { mayStore } from '../privacy/consent-gate';
import { accountMemberProfiles } from '../store/profile-views';
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

/** Beyond this many profiles a writer makes every read stale instead of naming them (one call carries the names). */
export const NAMED_AT_MOST = 10_000;

/**
 * The profiles a writer changed, named, or `'all'` when there are more than NAMED_AT_MOST.
 *
 * @example
 * await invalidateProfileReads(env, workspaceId, namedOrAll(changedProfileIds));
 */
export const namedOrAll = (profileIds: readonly string[]): ReadScope => (profileIds.length > NAMED_AT_MOST ? 'all' : { profileIds });

/**
 * What a resolved batch changed for readers: the profiles it touched and absorbed, and for a
 * `group` call every member of the account (each shows the account's traits: `accountMembers`, the
 * canonical ids `accountMemberProfiles` read after the write; null when there were too many to
 * name), or all profiles when it may have changed ones it cannot name: a discarded event that
 * carries consent updates a known person's consent (privacy/consent-record.ts) without naming the profile.
 *
 * @example
 * batchReadScope(workspace, events, outcome, ['prof_c']) // -> { profileIds: ['prof_a', 'prof_b', 'prof_c'] } or 'all'
 */
export function batchReadScope(
  workspace: Pick<Workspace, 'settings'>,
  events: readonly Pick<StoredEvent, 'type' | 'context'>[],
  outcome: { touchedProfileIds: readonly string[]; absorbedProfileIds: readonly string[] },
  accountMembers: readonly string[] | null,
): ReadScope {
  const required = workspace.settings.requiredConsent;
  const unnamed = events.some(
    (e) => (e.type === 'group' && accountMembers === null) || (typeof required === 'string' && e.context?.consent !== undefined && !mayStore(e.context, required)),
  );
  return unnamed ? 'all' : { profileIds: [...new Set([...outcome.touchedProfileIds, ...outcome.absorbedProfileIds, ...(accountMembers ?? [])])] };
}

/**
 * `batchReadScope` for a batch the resolver has just written: reads the members of the accounts
 * its group calls name (one D1 query, only when there are any).
 *
 * @example
 * await invalidateProfileReads(env, workspace.id, await resolvedBatchScope(db, workspace, events, outcome));
 */
export async function resolvedBatchScope(
  db: D1Database,
  workspace: Pick<Workspace, 'id' | 'settings'>,
  events: readonly Pick<StoredEvent, 'type' | 'context' | 'groupId'>[],
  outcome: { touchedProfileIds: readonly string[]; absorbedProfileIds: readonly string[] },
): Promise<ReadScope> {
  const groupIds = [...new Set(events.flatMap((e) => (e.type === 'group' && e.groupId !== null ? [e.groupId] : [])))];
  const members = await accountMemberProfiles(db, workspace.id, groupIds, NAMED_AT_MOST);
  return batchReadScope(workspace, events, outcome, members);
}

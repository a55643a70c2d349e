/**
 * Keeping computed traits (and the stored predictions segments compare) current: for the people
 * an ingest batch touched, for everyone when a trait is defined, and as windows move (cron).
 */
import { refreshPredictionsStatements, reevaluateDerived } from '../predictions/service';
import { computeTraitStatements, listComputedTraits, listComputedTraitsStatement, recomputeTraitStatements, toComputedTraits, type StoredComputedTrait, type TraitValue } from '../store/computed-traits';
import { changedProfiles } from './changed';
import { predictionModelStatement, toStoredModel } from '../store/predictions';
import type { ComputedTraitDefinition } from './definition';

// D1 runs a batch as one transaction; each trait costs two statements here.
const STATEMENTS_PER_BATCH = 200;

/**
 * Recomputes every computed trait and the stored predictions of these profiles. Call it after
 * their events are stored and BEFORE segment membership is refreshed, so segments on computed
 * traits and predictions see the new values. Absorbed (merged away) ids may be passed too:
 * their rows are removed. A failure is logged, not raised: the events are stored, and
 * `refreshAllComputedTraits` (cron, hourly) repairs what a failed refresh missed.
 *
 * @example
 * await refreshComputedTraits(env.DB, workspace.id, [...outcome.touchedProfileIds, ...outcome.absorbedProfileIds], Date.now());
 * await refreshMemberships(env.DB, workspace.id, outcome, Date.now());
 */
export async function refreshComputedTraits(db: D1Database, workspaceId: string, profileIds: readonly string[], now: number): Promise<void> {
  const ids = [...new Set(profileIds)];
  if (ids.length === 0) return;
  try {
    // One round trip for both definitions: with neither, an ingest batch pays only this.
    const [traitRows, modelRows] = await db.batch([listComputedTraitsStatement(db, workspaceId), predictionModelStatement(db, workspaceId)]);
    const traits = toComputedTraits(traitRows!.results);
    const predictions = await refreshPredictionsStatements(db, workspaceId, toStoredModel(modelRows!.results), ids, now);
    const statements = [...traits.flatMap((t) => computeTraitStatements(db, workspaceId, t, now, ids)), ...predictions];
    for (let i = 0; i < statements.length; i += STATEMENTS_PER_BATCH) await db.batch(statements.slice(i, i + STATEMENTS_PER_BATCH));
  } catch (err) {
    console.error('computed trait refresh failed; the hourly recompute will repair it', workspaceId, err);
  }
}

/**
 * Computes a trait over everyone's history (when it is defined) and re-evaluates the segments
 * that compare it.
 *
 * @example
 * await backfillComputedTrait(db, 'ws_1', definition, Date.now())
 */
export async function backfillComputedTrait(db: D1Database, workspaceId: string, d: ComputedTraitDefinition, now: number): Promise<void> {
  await db.batch(computeTraitStatements(db, workspaceId, d, now));
  await reevaluateDerived(db, workspaceId, now, new Set([d.key]));
}

/**
 * Recomputes over everyone the traits with a window (`onlyWindowed`, every cron run: an event
 * leaving the window changes the value without any new event) or all traits (the hourly repair),
 * then re-evaluates the segments that compare them. Returns the keys recomputed and the canonical
 * profiles whose values changed (what profile reads show).
 */
export async function refreshAllComputedTraits(db: D1Database, workspaceId: string, now: number, onlyWindowed: boolean): Promise<{ keys: string[]; changedProfileIds: string[] }> {
  const traits: StoredComputedTrait[] = (await listComputedTraits(db, workspaceId)).filter((t) => !onlyWindowed || t.windowDays !== null);
  const changed = new Set<string>();
  for (const t of traits) {
    const [before, , after] = await db.batch<TraitValue>(recomputeTraitStatements(db, workspaceId, t, now));
    for (const id of changedProfiles(before!.results, after!.results)) changed.add(id);
  }
  if (traits.length > 0) await reevaluateDerived(db, workspaceId, now, new Set(traits.map((t) => t.key)));
  return { keys: traits.map((t) => t.key), changedProfileIds: [...changed] };
}

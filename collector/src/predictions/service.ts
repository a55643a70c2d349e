/**
 * The I/O shell of predictions: fit a workspace's models over its stored orders, keep the
 * stored per-person predictions (what segments compare) current, and compute one person's
 * predictions and RFM at read time.
 */
import { orderEventOf } from '../settings/settings-patch';
import { evaluateSegments } from '../segments/evaluate';
import { readsDerivedTraits } from '../segments/condition';
import { getPredictionModel, loadCustomerStats, type StoredModel, loadWeeklyRepeatOrders, refreshPredictionStatements, saveFitStatements } from '../store/predictions';
import { listSegments } from '../store/segments';
import type { Workspace } from '../store/workspaces';
import { buildModel, predictCustomer, rfmOf, TRACKING_WEEKS, type CustomerStats, type PredictionModel, type Predictions } from './customer';
import type { RfmScore } from './rfm';

export interface FitOutcome {
  model: PredictionModel;
  fitMs: number;
}

/**
 * Fits BG/NBD and Gamma-Gamma over every person with an order as of `now`, stores the model and
 * everyone's predictions in one batch, then re-evaluates the segments that compare predictions.
 * Null when the workspace has no orders yet.
 *
 * @example
 * const fit = await fitWorkspace(db, workspace, Date.now()) // { model: { bgnbd: {...}, ... }, fitMs }
 */
export async function fitWorkspace(db: D1Database, workspace: Workspace, now: number): Promise<FitOutcome | null> {
  const workspaceId = workspace.id;
  const orderEvent = orderEventOf(workspace.settings);
  const [stats, weekly] = await Promise.all([
    loadCustomerStats(db, workspaceId, orderEvent, now),
    loadWeeklyRepeatOrders(db, workspaceId, orderEvent, now, TRACKING_WEEKS),
  ]);
  if (stats.length === 0) return null;
  const started = Date.now();
  const { model, predictions } = buildModel(stats, weekly, now, orderEvent);
  const fitMs = Date.now() - started;
  await db.batch(saveFitStatements(db, workspaceId, model, fitMs, predictions));
  await reevaluateDerived(db, workspaceId, now);
  return { model, fitMs };
}

/** Re-evaluates, over everyone, the segments that read predictions or the given computed traits. */
export async function reevaluateDerived(db: D1Database, workspaceId: string, now: number, traitKeys?: ReadonlySet<string>): Promise<void> {
  const segments = await listSegments(db, workspaceId);
  const keys = new Set(segments.filter((s) => readsDerivedTraits(s.condition, traitKeys)).map((s) => s.key));
  if (keys.size > 0) await evaluateSegments(db, workspaceId, { keys, now }, segments);
}

/**
 * The stored predictions of some canonical profiles after their orders changed (an ingest
 * batch, a merge): recomputed against the latest model (`stored`, read by the caller); nothing
 * to do before the first fit.
 */
export async function refreshPredictionsStatements(db: D1Database, workspaceId: string, stored: StoredModel | null, profileIds: readonly string[], now: number): Promise<D1PreparedStatement[]> {
  if (profileIds.length === 0 || !stored) return [];
  const stats = await loadCustomerStats(db, workspaceId, stored.model.orderEvent, now, profileIds);
  const predictions = stats.map((s) => ({ profileId: s.profileId, predictions: predictCustomer(stored.model, s, now) }));
  return refreshPredictionStatements(db, workspaceId, profileIds, predictions, now);
}

/**
 * One person's predictions and RFM from the latest model and their orders (both read with the
 * profile); null without a model or without orders.
 *
 * @example
 * personPredictions(view.model, view.orders, Date.now()) // { predictions: { pAlive, ... }, rfm: { score: '545', ... } }
 */
export function personPredictions(stored: StoredModel | null, orders: CustomerStats | null, now: number): { predictions: Predictions; rfm: RfmScore } | null {
  if (!stored || !orders) return null;
  return { predictions: predictCustomer(stored.model, orders, now), rfm: rfmOf(stored.model, orders, now) };
}

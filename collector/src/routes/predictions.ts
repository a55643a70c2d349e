import { Hono } from 'hono';
import { requireSecretKey } from '../auth/middleware';
import type { AppEnv } from '../env';
import { ApiError, notFound } from '../http/errors';
import type { PredictionModel } from '../predictions/customer';
import { fitWorkspace } from '../predictions/service';
import { getPredictionModel } from '../store/predictions';
import { storageCall } from '../store/storage-call';
import { getWorkspace } from '../store/workspaces';
import { invalidateProfileReads } from '../profile-reads/invalidate';

/**
 * Predictive model (BG/NBD + Gamma-Gamma): fit now (`admin`), read the latest fit (`read`).
 * The cron refits daily; profiles show each person's predictions from the latest fit.
 */
export const predictionRoutes = new Hono<AppEnv>();

/** The model as the API shows it: parameters and what they were fitted on; `detail` adds RFM cuts and the tracking series. */
function renderModel(model: PredictionModel, fitMs: number, detail: boolean) {
  const { r, alpha, a, b, logLikelihood } = model.bgnbd;
  return {
    asOf: new Date(model.asOf).toISOString(),
    timeUnit: model.timeUnit,
    customers: model.customers,
    orderEvent: model.orderEvent,
    bgnbd: { r, alpha, a, b, logLikelihood },
    gammaGamma: model.gammaGamma,
    fitMs,
    ...(detail ? { rfm: model.rfm, ltvPercentiles: model.ltvPercentiles, weekly: model.weekly } : {}),
  };
}

predictionRoutes.post('/fit', requireSecretKey('admin'), async (c) => {
  const workspace = await storageCall(() => getWorkspace(c.env.DB, c.var.workspaceId));
  if (!workspace) throw notFound();
  const fit = await storageCall(() => fitWorkspace(c.var.db, workspace, Date.now()));
  if (!fit) throw new ApiError(409, 'no_customers', 'No orders yet: a fit needs at least one profile with an order event');
  // Every profile read with orders shows predictions from the workspace's model.
  await invalidateProfileReads(c.env, workspace.id, 'all');
  return c.json(renderModel(fit.model, fit.fitMs, false));
});

predictionRoutes.get('/model', requireSecretKey('read'), async (c) => {
  const stored = await storageCall(() => getPredictionModel(c.var.db, c.var.workspaceId));
  if (!stored) throw notFound('No model fitted yet: POST /v1/predictions/fit, or wait for the daily refit');
  return c.json(renderModel(stored.model, stored.fitMs, true));
});

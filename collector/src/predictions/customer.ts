/**
 * From orders to predictions: a customer's purchase summary in days, the model built over a
 * whole customer base, and one person's predictions against a model. Pure; the store reads
 * the orders and writes the results.
 */
import { conditionalExpectedPurchases, fitBgNbd, probabilityAlive, type BgNbdParams, type Recency } from './bgnbd';
import { conditionalExpectedValue, fitGammaGamma, type GammaGammaParams } from './gamma-gamma';
import { SeriesDivergenceError } from './special';
import { quantile, rfmCuts, rfmScore, type RfmCuts, type RfmScore } from './rfm';

export const DAY_MS = 86_400_000;
const WEEK_MS = 7 * DAY_MS;

/** One person's orders, over all of their merged ids (SQL in store/predictions.ts). */
export interface CustomerStats {
  profileId: string;
  orders: number;
  firstAt: number;
  lastAt: number;
  /** Sum of the orders' values (properties.revenue, else properties.total). */
  total: number;
  /** Value of the first order, which Gamma-Gamma leaves out. */
  firstValue: number;
}

export interface PredictionModel {
  asOf: number;
  timeUnit: 'day';
  customers: number;
  orderEvent: string;
  bgnbd: BgNbdParams & { logLikelihood: number };
  gammaGamma: GammaGammaParams | null;
  rfm: RfmCuts;
  /** The 0th..100th percentiles of ltv365d over the customer base at fit time. */
  ltvPercentiles: number[];
  /** Repeat orders per week over the last weeks of the fit: what the model expected and what happened. */
  weekly: { weekStart: string; expected: number | null; actual: number }[];
}

export interface Predictions {
  pAlive: number;
  churnRisk: number;
  /** Null only when the model cannot say (see `expectedOrNull`). */
  expectedOrders30d: number | null;
  expectedOrders90d: number | null;
  expectedOrders365d: number | null;
  expectedOrderValue: number | null;
  ltv365d: number | null;
  ltvPercentile: number | null;
}

/**
 * x (orders after the first), t_x (days from the first to the last) and T (days from the first
 * to `now`), as the BG/NBD defines them; every order counts, same-day ones too.
 *
 * @example
 * recencyOf({ orders: 3, firstAt: 0, lastAt: 10 * DAY_MS, ... }, 30 * DAY_MS) // { x: 2, tx: 10, T: 30 }
 */
export function recencyOf(s: CustomerStats, now: number): Recency {
  const tx = (s.lastAt - s.firstAt) / DAY_MS;
  return { x: s.orders - 1, tx, T: Math.max(tx, (now - s.firstAt) / DAY_MS) };
}

const repeatMean = (s: CustomerStats) => (s.orders > 1 ? (s.total - s.firstValue) / (s.orders - 1) : 0);
const round = (v: number, digits = 6) => Math.round(v * 10 ** digits) / 10 ** digits;

/**
 * One person's predictions: P(alive), expected orders over 30/90/365 days, expected order value
 * (Gamma-Gamma conditional mean), 365-day value (expected orders x expected value, undiscounted)
 * and where that value ranks in the fitted base.
 *
 * @example
 * predictCustomer(model, stats, Date.now()).pAlive // 0.73
 */
export function predictCustomer(model: { bgnbd: BgNbdParams; gammaGamma: GammaGammaParams | null; ltvPercentiles: readonly number[] }, s: CustomerStats, now: number): Predictions {
  const c = recencyOf(s, now);
  const pAlive = probabilityAlive(model.bgnbd, c);
  const expected = (days: number) => expectedOrNull(model.bgnbd, c, days);
  const expectedOrders365d = expected(365);
  const value = model.gammaGamma ? conditionalExpectedValue(model.gammaGamma, { x: c.x, mean: repeatMean(s) }) : null;
  const ltv = value === null || expectedOrders365d === null ? null : round(expectedOrders365d * value, 2);
  return {
    pAlive: round(pAlive),
    churnRisk: round(1 - pAlive),
    expectedOrders30d: expected(30),
    expectedOrders90d: expected(90),
    expectedOrders365d,
    expectedOrderValue: value === null ? null : round(value, 2),
    ltv365d: ltv,
    ltvPercentile: ltv === null || model.ltvPercentiles.length === 0 ? null : percentileOf(ltv, model.ltvPercentiles),
  };
}

/**
 * E[Y(t) | x, t_x, T], or null when its series cannot be summed: a fit on a handful of
 * customers can drift to parameters (alpha near 0) that put z within 1e-6 of 1, where the 2F1
 * series would need tens of millions of terms. Null says "unknown" instead of failing a fit.
 */
function expectedOrNull(params: BgNbdParams, c: Recency, days: number): number | null {
  try {
    return round(conditionalExpectedPurchases(params, c, days));
  } catch (err) {
    if (err instanceof SeriesDivergenceError) return null;
    throw err;
  }
}

/** RFM score of one person against the fitted base's quintiles. */
export function rfmOf(model: Pick<PredictionModel, 'rfm'>, s: CustomerStats, now: number): RfmScore {
  return rfmScore({ recencyDays: Math.max(0, (now - s.lastAt) / DAY_MS), orders: s.orders, monetary: s.total }, model.rfm);
}

/**
 * Percent of the fitted base at or below `value` (0-100, one decimal), by interpolating
 * within the stored percentile grid.
 *
 * @example
 * percentileOf(50, [0, 10, ..., 1000]) // 5
 */
export function percentileOf(value: number, grid: readonly number[]): number {
  const last = grid.length - 1;
  if (value < grid[0]!) return 0;
  if (value >= grid[last]!) return 100;
  // The highest grid point at or below the value: ties (many equal values) rank at their top.
  let hi = last;
  while (hi > 0 && grid[hi]! > value) hi--;
  const next = Math.min(hi + 1, last);
  const frac = grid[next]! > grid[hi]! ? (value - grid[hi]!) / (grid[next]! - grid[hi]!) : 0;
  return Math.round(((hi + frac) / last) * 1000) / 10;
}

/** Weeks shown in the model's tracking chart. */
export const TRACKING_WEEKS = 26;

/**
 * Fits both models over every customer with an order as of `asOf` and derives what a read
 * needs: RFM cut points, the LTV percentile grid and the weekly tracking series (`actualWeekly`:
 * repeat orders per week, oldest first, ending at the week containing asOf). Returns everyone's
 * predictions too, computed once for the grid and then ranked against it.
 *
 * @example
 * const { model, predictions } = buildModel(stats, weeklyRepeatOrders, Date.now(), 'Order Completed')
 */
export function buildModel(
  stats: readonly CustomerStats[],
  actualWeekly: readonly number[],
  asOf: number,
  orderEvent: string,
): { model: PredictionModel; predictions: { profileId: string; predictions: Predictions }[] } {
  const recencies = stats.map((s) => recencyOf(s, asOf));
  const bg = fitBgNbd(recencies);
  const gg = fitGammaGamma(stats.map((s) => ({ x: s.orders - 1, mean: repeatMean(s) })));
  const base = { bgnbd: bg.params, gammaGamma: gg?.params ?? null, ltvPercentiles: [] as number[] };
  const predictions = stats.map((s) => ({ profileId: s.profileId, predictions: predictCustomer(base, s, asOf) }));
  const ltvs = predictions.map((p) => p.predictions.ltv365d).filter((v): v is number => v !== null).sort((a, b) => a - b);
  const ltvPercentiles = ltvs.length ? Array.from({ length: 101 }, (_, i) => round(quantile(ltvs, i / 100), 2)) : [];
  for (const { predictions: p } of predictions) p.ltvPercentile = p.ltv365d === null || ltvs.length === 0 ? null : percentileOf(p.ltv365d, ltvPercentiles);
  const model: PredictionModel = {
    asOf,
    timeUnit: 'day',
    customers: stats.length,
    orderEvent,
    bgnbd: { ...base.bgnbd, logLikelihood: bg.logLikelihood },
    gammaGamma: base.gammaGamma,
    rfm: rfmCuts(stats.map((s) => ({ recencyDays: (asOf - s.lastAt) / DAY_MS, orders: s.orders, monetary: s.total }))),
    ltvPercentiles,
    weekly: trackingSeries(bg.params, stats.map((s) => s.firstAt), actualWeekly, asOf),
  };
  return { model, predictions };
}

/** Start (epoch ms) of the i-th tracking week, i = 0 the oldest; the last week ends at asOf. */
export const trackingWeekStart = (asOf: number, i: number, weeks = TRACKING_WEEKS) => asOf - (weeks - i) * WEEK_MS;

/**
 * Expected repeat orders per week from the unconditional E[X(t)] of each customer since their
 * first order (the paper's tracking plot), against the actual counts. Customers are grouped by
 * the day of their first order, so the cost is days x weeks, not customers x weeks.
 */
function trackingSeries(params: BgNbdParams, firstOrders: readonly number[], actual: readonly number[], asOf: number) {
  const weeks = actual.length;
  const cohorts = new Map<number, number>();
  for (const at of firstOrders) {
    const day = Math.floor((asOf - at) / DAY_MS);
    cohorts.set(day, (cohorts.get(day) ?? 0) + 1);
  }
  const cumulative = new Map<number, number>();
  const expectedBy = (days: number) => {
    if (days <= 0) return 0;
    let v = cumulative.get(days);
    if (v === undefined) cumulative.set(days, (v = expectedOrNull(params, { x: 0, tx: 0, T: 0 }, days) ?? NaN));
    return v;
  };
  // NaN (a degenerate fit) renders as null: the chart shows the actual orders alone.
  return actual.map((count, i) => {
    // Days since asOf of the week's start and end: a cohort that first ordered `age` days
    // before asOf had (age - startAgo) days of history at the week's start.
    const startAgo = (weeks - i) * 7;
    const endAgo = (weeks - i - 1) * 7;
    let expected = 0;
    for (const [age, n] of cohorts) expected += n * (expectedBy(age - endAgo) - expectedBy(age - startAgo));
    return { weekStart: new Date(trackingWeekStart(asOf, i, weeks)).toISOString(), expected: Number.isNaN(expected) ? null : round(expected, 2), actual: count };
  });
}

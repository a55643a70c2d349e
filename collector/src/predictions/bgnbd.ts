/**
 * The BG/NBD model of repeat purchasing (Fader, Hardie & Lee 2005, "Counting your customers
 * the easy way", Marketing Science 24(2)). While alive a customer buys at Poisson rate
 * lambda ~ Gamma(r, alpha); after each repeat purchase they drop out with probability
 * p ~ Beta(a, b). Per customer: x repeat purchases, the last at t_x, observed for T since the
 * first purchase (all in one time unit; the collector uses days).
 */
import { hyp2f1Scaled, lnGamma } from './special';
import { minimise, type MinimiseOptions } from './nelder-mead';

export interface BgNbdParams {
  r: number;
  alpha: number;
  a: number;
  b: number;
}

/** One customer's purchase summary: x repeat purchases, the last at tx, observed for T. */
export interface Recency {
  x: number;
  tx: number;
  T: number;
}

/** ln of the gamma-function ratios that depend on x only: computed once per distinct x. */
function xTerms({ r, a, b }: BgNbdParams, x: number) {
  return {
    // ln[Γ(r+x)/Γ(r)] + ln[B(a, b+x)/B(a, b)]
    common: lnGamma(r + x) - lnGamma(r) + lnGamma(a + b) + lnGamma(b + x) - lnGamma(b) - lnGamma(a + b + x),
    // ln[a / (b+x-1)]: the weight of "dropped out after the last purchase"
    dropout: x > 0 ? Math.log(a) - Math.log(b + x - 1) : -Infinity,
  };
}

/**
 * Customers laid out for repeated likelihood evaluations: typed arrays sorted by x, so the
 * x-only terms are computed once per group and the inner loop touches only numbers (a fit
 * evaluates the likelihood some hundreds of times over up to 100k+ customers).
 */
export interface PreparedRecency {
  x: Float64Array;
  tx: Float64Array;
  T: Float64Array;
  /** [x, start, end) index ranges of equal x. */
  groups: { x: number; start: number; end: number }[];
  size: number;
}

/** Sorts and packs customers for `preparedLogLikelihood`. */
export function prepareRecency(customers: readonly Recency[]): PreparedRecency {
  const order = customers.map((_, i) => i).sort((i, j) => customers[i]!.x - customers[j]!.x);
  const n = customers.length;
  const x = new Float64Array(n);
  const tx = new Float64Array(n);
  const T = new Float64Array(n);
  const groups: PreparedRecency['groups'] = [];
  order.forEach((from, to) => {
    const c = customers[from]!;
    x[to] = c.x;
    tx[to] = c.tx;
    T[to] = c.T;
    const last = groups[groups.length - 1];
    if (last && last.x === c.x) last.end = to + 1;
    else groups.push({ x: c.x, start: to, end: to + 1 });
  });
  return { x, tx, T, groups, size: n };
}

/** The log-likelihood over prepared customers (see `bgnbdLogLikelihood`). */
export function preparedLogLikelihood(params: BgNbdParams, data: PreparedRecency): number {
  const { r, alpha } = params;
  const lnAlpha = Math.log(alpha);
  let sum = 0;
  for (const g of data.groups) {
    const terms = xTerms(params, g.x);
    const power = r + g.x;
    sum += (g.end - g.start) * (terms.common + r * lnAlpha);
    if (g.x === 0) {
      for (let i = g.start; i < g.end; i++) sum -= power * Math.log(alpha + data.T[i]!);
      continue;
    }
    for (let i = g.start; i < g.end; i++) {
      const alive = -power * Math.log(alpha + data.T[i]!);
      const dropped = terms.dropout - power * Math.log(alpha + data.tx[i]!);
      // log-sum-exp; alive <= dropped - dropout since t_x <= T, so neither side overflows.
      sum += alive > dropped ? alive + Math.log1p(Math.exp(dropped - alive)) : dropped + Math.log1p(Math.exp(alive - dropped));
    }
  }
  return sum;
}

/**
 * The BG/NBD log-likelihood of a customer base (equation 6 of the paper, summed).
 *
 * @example
 * bgnbdLogLikelihood({ r: 0.243, alpha: 4.414, a: 0.793, b: 2.426 }, [{ x: 2, tx: 30.43, T: 38.86 }])
 */
export function bgnbdLogLikelihood(params: BgNbdParams, customers: readonly Recency[]): number {
  return preparedLogLikelihood(params, prepareRecency(customers));
}

export interface BgNbdFit {
  params: BgNbdParams;
  logLikelihood: number;
  iterations: number;
  converged: boolean;
}

/**
 * Parameters stay within e^-12..e^12: a base too small or too regular to identify the model
 * drifts to the edge rather than to infinity, where the 2F1 series would need billions of terms.
 */
const MAX_LOG_PARAM = 12;

/** Above this many customers the search starts on a systematic sample, then polishes on all. */
const SAMPLE_SIZE = 10_000;

/**
 * Maximum-likelihood BG/NBD parameters, by Nelder-Mead on log-parameters (so every trial
 * point is a valid model). A large base is first fitted on an every-k-th sample, which lands
 * close to the optimum, and the full data only refines that: the same answer with a few
 * times fewer passes over 100k customers. Needs at least one customer.
 *
 * @example
 * fitBgNbd([{ x: 2, tx: 30, T: 39 }, { x: 0, tx: 0, T: 39 }, ...]).params // { r, alpha, a, b }
 */
export function fitBgNbd(customers: readonly Recency[]): BgNbdFit {
  if (customers.length === 0) throw new RangeError('fitBgNbd needs at least one customer');
  const totalX = customers.reduce((s, c) => s + c.x, 0);
  const totalT = customers.reduce((s, c) => s + c.T, 0);
  // Start where the purchase rate matches the data (r / alpha = repeat purchases per unit of time).
  let start = [0, Math.log(Math.max(1e-3, totalT / Math.max(1, totalX))), 0, 0];
  let iterations = 0;
  if (customers.length > 2 * SAMPLE_SIZE) {
    const k = Math.floor(customers.length / SAMPLE_SIZE);
    const sample = search(prepareRecency(customers.filter((_, i) => i % k === 0)), start, { step: 0.5 });
    start = sample.x;
    iterations += sample.iterations;
  }
  const sampled = customers.length > 2 * SAMPLE_SIZE;
  // From the sample's optimum a small simplex and a looser tolerance suffice: 1e-9 of the mean
  // log-likelihood moves the parameters by about 1e-4 relative, far below their standard error.
  const full = search(prepareRecency(customers), start, sampled ? { step: 0.05, fTolerance: 1e-9, xTolerance: 1e-5, restarts: 1 } : { step: 0.5 });
  return { params: logToParams(full.x), logLikelihood: -full.value * customers.length, iterations: iterations + full.iterations, converged: full.converged };
}

const logToParams = (v: number[]): BgNbdParams => ({ r: Math.exp(v[0]!), alpha: Math.exp(v[1]!), a: Math.exp(v[2]!), b: Math.exp(v[3]!) });

function search(data: PreparedRecency, start: number[], options: MinimiseOptions) {
  // The mean log-likelihood keeps tolerances independent of the number of customers.
  const objective = (v: number[]) => (v.some((u) => Math.abs(u) > MAX_LOG_PARAM) ? NaN : -preparedLogLikelihood(logToParams(v), data) / data.size);
  return minimise(objective, start, options);
}

/** ln of the odds that a customer dropped out after their last purchase, against still being alive. */
function logDropoutOdds({ r, alpha, a, b }: BgNbdParams, c: Recency): number {
  if (c.x === 0) return -Infinity;
  return Math.log(a) - Math.log(b + c.x - 1) + (r + c.x) * (Math.log(alpha + c.T) - Math.log(alpha + c.tx));
}

/**
 * P(alive | x, t_x, T) (equation 11): a customer with no repeat purchase is alive by the
 * model's construction (drop-out happens only after a repeat purchase).
 *
 * @example
 * probabilityAlive(params, { x: 2, tx: 30.43, T: 38.86 })
 */
export function probabilityAlive(params: BgNbdParams, c: Recency): number {
  return 1 / (1 + Math.exp(logDropoutOdds(params, c)));
}

/**
 * E[Y(t) | x, t_x, T]: expected purchases in the next `t` units of time (equation 10).
 * Written with Euler's transformation 2F1(A,B;C;z) = (1-z)^(C-A-B) 2F1(C-A,C-B;C;z): the
 * factor ((alpha+T)/(alpha+T+t))^(r+x) cancels into (1-z)^(a-1), so a customer with many
 * purchases never overflows, and the remaining series converges faster.
 *
 * @example
 * conditionalExpectedPurchases({ r: 0.243, alpha: 4.414, a: 0.793, b: 2.426 }, { x: 2, tx: 30.43, T: 38.86 }, 39) // 1.226
 */
export function conditionalExpectedPurchases(params: BgNbdParams, c: Recency, t: number): number {
  if (t <= 0) return 0;
  const { r, alpha, b } = params;
  // The formula divides by a - 1; at a = 1 it has a finite limit, approached from a hair away.
  const a = Math.abs(params.a - 1) < 1e-7 ? 1 + 1e-7 : params.a;
  const z = t / (alpha + c.T + t);
  // In log scale: with large parameters the series and (1-z)^(a-1) are each astronomically
  // large or small while their product stays modest.
  const f = hyp2f1Scaled(a + b - 1 - r, a - 1, a + b + c.x - 1, z);
  const lnFactor = (a - 1) * Math.log1p(-z) + f.lnScale;
  const leading = (a + b + c.x - 1) / (a - 1);
  // 1 - (1-z)^(a-1) 2F1(...); expm1 keeps the digits when the product is close to 1.
  const bracket = f.sum > 0 ? -Math.expm1(lnFactor + Math.log(f.sum)) : 1 - f.sum * Math.exp(lnFactor);
  return (leading * bracket) * probabilityAlive({ ...params, a }, c);
}

/**
 * The Gamma-Gamma model of spend per transaction (Fader, Hardie & Lee 2005, "RFM and CLV:
 * using iso-value curves for customer base analysis", JMR 42(4); Fader & Hardie's note "The
 * Gamma-Gamma model of monetary value"). A transaction's value is Gamma(p, nu) with
 * nu ~ Gamma(q, v) across customers; fitted on the x > 0 repeat purchases' mean value.
 */
import { lnGamma } from './special';
import { minimise } from './nelder-mead';

export interface GammaGammaParams {
  p: number;
  q: number;
  v: number;
}

/** A customer's number of repeat purchases and their mean value (both > 0 in a fit). */
export interface Spend {
  x: number;
  mean: number;
}

/**
 * The log-likelihood of the observed means: f(m | p, q, v, x) = Γ(px+q) / (Γ(px) Γ(q)) *
 * v^q m^(px-1) x^(px) / (v + m x)^(px+q).
 *
 * @example
 * gammaGammaLogLikelihood({ p: 6.25, q: 3.74, v: 15.44 }, [{ x: 2, mean: 35 }])
 */
export function gammaGammaLogLikelihood({ p, q, v }: GammaGammaParams, customers: readonly Spend[]): number {
  const memo = new Map<number, number>();
  const lnGammaQ = lnGamma(q);
  const lnV = Math.log(v);
  let sum = 0;
  for (const { x, mean } of customers) {
    const px = p * x;
    let head = memo.get(x);
    if (head === undefined) memo.set(x, (head = lnGamma(px + q) - lnGamma(px) - lnGammaQ + q * lnV + px * Math.log(x)));
    sum += head + (px - 1) * Math.log(mean) - (px + q) * Math.log(v + mean * x);
  }
  return sum;
}

export interface GammaGammaFit {
  params: GammaGammaParams;
  logLikelihood: number;
  converged: boolean;
}

/**
 * Maximum-likelihood (p, q, v) over customers with x > 0 and a positive mean; the others
 * carry no information about spend variation and are skipped.
 *
 * @example
 * fitGammaGamma([{ x: 3, mean: 42.5 }, { x: 1, mean: 19 }, ...]).params // { p, q, v }
 */
export function fitGammaGamma(customers: readonly Spend[]): GammaGammaFit | null {
  const usable = customers.filter((c) => c.x > 0 && c.mean > 0 && Number.isFinite(c.mean));
  if (usable.length < 2) return null;
  const toParams = (u: number[]): GammaGammaParams => ({ p: Math.exp(u[0]!), q: Math.exp(u[1]!), v: Math.exp(u[2]!) });
  const grand = usable.reduce((s, c) => s + c.mean, 0) / usable.length;
  // Start at p = 1, q = 2 and the v that makes the population mean p v / (q - 1) the observed one.
  const start = [0, Math.log(2), Math.log(grand)];
  const objective = (u: number[]) => (u.some((w) => Math.abs(w) > 30) ? NaN : -gammaGammaLogLikelihood(toParams(u), usable) / usable.length);
  const result = minimise(objective, start);
  return { params: toParams(result.x), logLikelihood: -result.value * usable.length, converged: result.converged };
}

/**
 * E[M | p, q, v, m, x]: the expected value of a customer's future purchase, a weighted mean
 * of the population mean p v / (q - 1) and the customer's own mean m (x = 0: the population
 * mean). Null when q <= 1, where the population mean is infinite.
 *
 * @example
 * conditionalExpectedValue({ p: 6.25, q: 3.74, v: 15.44 }, { x: 2, mean: 50 })
 */
export function conditionalExpectedValue({ p, q, v }: GammaGammaParams, { x, mean }: Spend): number | null {
  if (!(q > 1)) return null;
  const m = x > 0 && Number.isFinite(mean) ? mean : 0;
  const n = x > 0 ? x : 0;
  return (p * (v + n * m)) / (p * n + q - 1);
}

/**
 * Special functions the customer-base models need: log-gamma and the Gauss hypergeometric
 * function 2F1. Plain numbers, no dependencies, so they run the same in workerd and Node.
 */

// Lanczos approximation, g = 7, n = 9: about 15 significant digits for x > 0.
const LANCZOS_G = 7;
const LANCZOS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
  12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
];
const HALF_LOG_2PI = 0.5 * Math.log(2 * Math.PI);

/**
 * ln Γ(x) for x > 0 (reflection below 1/2 keeps the approximation where it is accurate).
 *
 * @example
 * lnGamma(5) // ln 24 = 3.178...
 */
export function lnGamma(x: number): number {
  if (!(x > 0)) return x === 0 ? Infinity : NaN;
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - lnGamma(1 - x);
  const z = x - 1;
  let sum = LANCZOS[0]!;
  for (let i = 1; i < LANCZOS.length; i++) sum += LANCZOS[i]! / (z + i);
  const t = z + LANCZOS_G + 0.5;
  return HALF_LOG_2PI + (z + 0.5) * Math.log(t) - t + Math.log(sum);
}

/** ln B(a, b), the log of the beta function. */
export const lnBeta = (a: number, b: number) => lnGamma(a) + lnGamma(b) - lnGamma(a + b);

/** Raised when a series would need more terms than the guard allows: a wrong answer is worse than none. */
export class SeriesDivergenceError extends Error {
  override name = 'SeriesDivergenceError';
}

const MAX_TERMS = 1_000_000;
const RELATIVE_TOLERANCE = 1e-14;

// Terms are rescaled past this size so that a series whose value is astronomically large
// (large parameters, z near 1) is summed in log scale instead of overflowing.
const RESCALE_AT = 1e200;
const LN_RESCALE = Math.log(RESCALE_AT);

/**
 * The power series of 2F1 as `sum * e^lnScale`. Summation stops once the remaining tail is
 * provably below 1e-14 of the sum: for m >= n past every sign change, the term ratio
 * (a+m)(b+m)z / ((c+m)(m+1)) is z times two factors that each move monotonically towards 1,
 * so it stays below z * max(|a+n|/(c+n), 1) * max(|b+n|/(n+1), 1); when that bound is below 1
 * the tail is at most a geometric series. After a million terms it throws instead of
 * returning a truncated value.
 *
 * @example
 * hyp2f1Scaled(2000, 1, 1, 0.9) // { sum, lnScale } with ln(sum) + lnScale = -2000 ln(0.1) = 4605.2
 */
export function hyp2f1Scaled(a: number, b: number, c: number, z: number): { sum: number; lnScale: number } {
  if (!(z >= 0 && z < 1)) throw new RangeError(`hyp2f1 needs 0 <= z < 1, got ${z}`);
  // c may be negative (a + b < 1 with x = 0), but never a pole: 0, -1, -2, ...
  if (c <= 0 && Number.isInteger(c)) throw new RangeError(`hyp2f1 is undefined for c = ${c}`);
  let term = 1;
  let sum = 1;
  let lnScale = 0;
  const signsSettleAt = Math.max(0, -a, -b, -c);
  for (let n = 0; n < MAX_TERMS; n++) {
    term *= ((a + n) * (b + n) * z) / ((c + n) * (n + 1));
    sum += term;
    if (term === 0) return { sum, lnScale };
    if (Math.abs(term) > RESCALE_AT) {
      term /= RESCALE_AT;
      sum /= RESCALE_AT;
      lnScale += LN_RESCALE;
    }
    const m = n + 1;
    if (m > signsSettleAt) {
      const bound = z * Math.max(Math.abs(a + m) / (c + m), 1) * Math.max(Math.abs(b + m) / (m + 1), 1);
      if (bound < 1 && (Math.abs(term) * bound) / (1 - bound) <= RELATIVE_TOLERANCE * Math.abs(sum)) return { sum, lnScale };
    }
  }
  throw new SeriesDivergenceError(`hyp2f1(${a}, ${b}; ${c}; ${z}) did not converge in ${MAX_TERMS} terms`);
}

/**
 * The Gauss hypergeometric function 2F1(a, b; c; z) for 0 <= z < 1 by its power series.
 *
 * @example
 * hyp2f1(1, 1, 2, 0.5) // -ln(1 - 0.5) / 0.5 = 1.386...
 */
export function hyp2f1(a: number, b: number, c: number, z: number): number {
  const { sum, lnScale } = hyp2f1Scaled(a, b, c, z);
  return lnScale === 0 ? sum : sum * Math.exp(lnScale);
}

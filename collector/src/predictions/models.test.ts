import { describe, expect, it } from 'vitest';
import { bgnbdLogLikelihood, conditionalExpectedPurchases, fitBgNbd, probabilityAlive } from './bgnbd';
import { conditionalExpectedValue, fitGammaGamma } from './gamma-gamma';
import { minimise } from './nelder-mead';
import { rfmCuts, rfmScore } from './rfm';
import { simulateShop } from './simulate';
import { hyp2f1, hyp2f1Scaled, lnGamma, lnBeta } from './special';

// Fader, Hardie & Lee (2005), CDNOW sample, time unit: weeks.
const CDNOW = { r: 0.243, alpha: 4.414, a: 0.793, b: 2.426 };

describe('special functions', () => {
  it.each([
    [1, 0],
    [2, 0],
    [0.5, Math.log(Math.sqrt(Math.PI))],
    [5, Math.log(24)],
    [0.1, Math.log(9.513507698668732)],
    [100, 359.1342053695754],
  ])('lnGamma(%f)', (x, expected) => {
    expect(lnGamma(x)).toBeCloseTo(expected, 10);
  });

  it.each([
    ['ln form 2F1(1,1;2;z)', 1, 1, 2, 0.5, -Math.log(0.5) / 0.5],
    ['ln form near z = 1', 1, 1, 2, 0.999, -Math.log(0.001) / 0.999],
    ['binomial 2F1(a,b;b;z)', 0.7, 3.2, 3.2, 0.8, Math.pow(0.2, -0.7)],
    ['arcsin 2F1(1/2,1/2;3/2;z^2)', 0.5, 0.5, 1.5, 0.81, Math.asin(0.9) / 0.9],
    ['z = 0', 2.5, -1.3, 0.4, 0, 1],
    ['terminating (b = -2)', 3, -2, 4, 0.5, 1 - (3 * 2 * 0.5) / 4 + (3 * 4 * 2 * 1 * 0.25) / (4 * 5 * 2)],
  ])('hyp2f1: %s', (_, a, b, c, z, expected) => {
    expect(hyp2f1(a, b, c, z)).toBeCloseTo(expected, 9);
  });

  it('sums a series too large for a double in log scale', () => {
    // 2F1(a, b; b; z) = (1-z)^-a
    const { sum, lnScale } = hyp2f1Scaled(2000, 1, 1, 0.9);
    expect((Math.log(sum) + lnScale) / (-2000 * Math.log(0.1))).toBeCloseTo(1, 12);
  });

  it('stops early for huge parameters and a tiny z (the bound, not n, decides)', () => {
    expect(hyp2f1(8e8, 1.5, 1.5, 2e-9)).toBeCloseTo(Math.exp(-8e8 * Math.log1p(-2e-9)), 9);
  });

  it('hyp2f1 refuses z outside [0, 1) and a pole in c', () => {
    expect(() => hyp2f1(1, 1, 2, 1)).toThrow(RangeError);
    expect(() => hyp2f1(1, 1, -2, 0.5)).toThrow(RangeError);
  });

  it('minimises the Rosenbrock valley', () => {
    const result = minimise(([x, y]) => 100 * (y! - x! * x!) ** 2 + (1 - x!) ** 2, [-1.2, 1]);
    expect(result.x[0]).toBeCloseTo(1, 4);
    expect(result.x[1]).toBeCloseTo(1, 4);
  });
});

describe('BG/NBD against the paper', () => {
  it('a customer with x = 2, t_x = 30.43, T = 38.86 weeks expects 1.226 orders in the next 39 weeks', () => {
    expect(conditionalExpectedPurchases(CDNOW, { x: 2, tx: 30.43, T: 38.86 }, 39)).toBeCloseTo(1.226, 3);
  });

  it('gives the same answer in days (alpha scales with the time unit, r, a, b do not)', () => {
    const days = { ...CDNOW, alpha: CDNOW.alpha * 7 };
    expect(conditionalExpectedPurchases(days, { x: 2, tx: 30.43 * 7, T: 38.86 * 7 }, 39 * 7)).toBeCloseTo(1.226, 3);
  });

  it.each([
    ['no repeat purchase: alive by construction', { x: 0, tx: 0, T: 30 }, 1],
    ['bought at the end of the period', { x: 3, tx: 30, T: 30 }, 1 / (1 + CDNOW.a / (CDNOW.b + 2))],
  ])('P(alive): %s', (_, customer, expected) => {
    expect(probabilityAlive(CDNOW, customer)).toBeCloseTo(expected, 12);
  });

  it('P(alive) falls the longer a frequent buyer has been silent', () => {
    const silent = [5, 15, 25, 35].map((tx) => probabilityAlive(CDNOW, { x: 6, tx, T: 38 }));
    expect(silent).toEqual(silent.slice().sort((p, q) => p - q));
    expect(silent[0]!).toBeLessThan(0.05);
  });

  it('expects nothing over no time, and more over a longer horizon', () => {
    const c = { x: 4, tx: 20, T: 30 };
    expect(conditionalExpectedPurchases(CDNOW, c, 0)).toBe(0);
    const e = [4, 13, 52].map((t) => conditionalExpectedPurchases(CDNOW, c, t));
    expect(e[0]!).toBeLessThan(e[1]!);
    expect(e[1]!).toBeLessThan(e[2]!);
  });

  it('does not overflow for a customer with hundreds of purchases', () => {
    const value = conditionalExpectedPurchases(CDNOW, { x: 400, tx: 38.86, T: 38.86 }, 39);
    expect(Number.isFinite(value)).toBe(true);
    expect(value).toBeGreaterThan(100);
  });

  it('likelihood of a customer without repeat purchases is (alpha / (alpha + T))^r', () => {
    expect(bgnbdLogLikelihood(CDNOW, [{ x: 0, tx: 0, T: 38.86 }])).toBeCloseTo(CDNOW.r * Math.log(CDNOW.alpha / (CDNOW.alpha + 38.86)), 12);
  });

  it('likelihood of a repeat buyer matches a numerical integral over the drop-out probability', () => {
    // Equation 6 integrates (1-p)^x and p (1-p)^(x-1) over Beta(a, b); Simpson's rule on a smooth
    // case (a > 1) checks the closed form independently.
    const params = { r: 0.8, alpha: 6, a: 1.6, b: 3.1 };
    const c = { x: 3, tx: 20, T: 35 };
    const rate = Math.exp(lnGamma(params.r + c.x) - lnGamma(params.r) + params.r * Math.log(params.alpha));
    const aliveWeight = Math.pow(params.alpha + c.T, -(params.r + c.x));
    const deadWeight = Math.pow(params.alpha + c.tx, -(params.r + c.x));
    const density = (p: number) => Math.exp((params.a - 1) * Math.log(p) + (params.b - 1) * Math.log1p(-p) - lnBeta(params.a, params.b));
    const integrand = (p: number) => ((1 - p) ** c.x * aliveWeight + p * (1 - p) ** (c.x - 1) * deadWeight) * density(p);
    const n = 20_000;
    let sum = 0;
    for (let i = 0; i <= n; i++) {
      const p = i / n;
      const w = i === 0 || i === n ? 1 : i % 2 ? 4 : 2;
      sum += w * (p === 0 || p === 1 ? 0 : integrand(p));
    }
    const likelihood = rate * (sum / (3 * n));
    expect(bgnbdLogLikelihood(params, [c])).toBeCloseTo(Math.log(likelihood), 6);
  });
});

describe('a simulated shop', () => {
  // CDNOW-like parameters in days; first orders spread over 39 weeks, then 39 weeks of holdout.
  const truth = { r: 0.243, alpha: CDNOW.alpha * 7, a: 0.793, b: 2.426 };
  const spend = { p: 6.25, q: 3.74, v: 15.44 };
  const shop = simulateShop({ customers: 20_000, bgnbd: truth, gammaGamma: spend, maxT: 273, horizon: 273, seed: 20 });
  const fit = fitBgNbd(shop);

  it.each([
    ['r', 0.1],
    ['alpha', 0.15],
    ['a', 0.2],
    ['b', 0.25],
  ] as const)('BG/NBD fit recovers %s within %f', (name, tolerance) => {
    expect(fit.converged).toBe(true);
    expect(Math.abs(fit.params[name] / truth[name] - 1)).toBeLessThan(tolerance);
  });

  it('fits at least as likely as the true parameters (it is the maximum)', () => {
    expect(fit.logLikelihood).toBeGreaterThanOrEqual(bgnbdLogLikelihood(truth, shop));
  });

  it('forecasts the holdout orders the customers then placed within 5%', () => {
    const predicted = shop.reduce((s, c) => s + conditionalExpectedPurchases(fit.params, c, 273), 0);
    const actual = shop.reduce((s, c) => s + c.holdout, 0);
    expect(Math.abs(predicted / actual - 1)).toBeLessThan(0.05);
  });

  it('forecasts each group of past frequency within 15%', () => {
    // The model's point is telling customers apart, not only the total.
    for (const [lo, hi] of [[0, 0], [1, 2], [3, Infinity]] as const) {
      const group = shop.filter((c) => c.x >= lo && c.x <= hi);
      const predicted = group.reduce((s, c) => s + conditionalExpectedPurchases(fit.params, c, 273), 0);
      const actual = group.reduce((s, c) => s + c.holdout, 0);
      expect(Math.abs(predicted / actual - 1), `x in [${lo}, ${hi}]`).toBeLessThan(0.15);
    }
  });

  const gg = fitGammaGamma(shop.map((c) => ({ x: c.x, mean: c.repeatMean })))!;

  // p and v trade off against each other (their product sets the mean), so each alone is
  // looser than the population mean they imply.
  it.each([
    ['p', 0.2],
    ['q', 0.2],
    ['v', 0.2],
  ] as const)('Gamma-Gamma fit recovers %s within %f', (name, tolerance) => {
    expect(Math.abs(gg.params[name] / spend[name] - 1)).toBeLessThan(tolerance);
  });

  it('Gamma-Gamma fit recovers the population mean order value within 5%', () => {
    const mean = (p: number, q: number, v: number) => (p * v) / (q - 1);
    expect(Math.abs(mean(gg.params.p, gg.params.q, gg.params.v) / mean(spend.p, spend.q, spend.v) - 1)).toBeLessThan(0.05);
  });
});

describe('Gamma-Gamma expected value', () => {
  const params = { p: 6.25, q: 3.74, v: 15.44 };
  const population = (params.p * params.v) / (params.q - 1);

  it.each([
    ['no repeat orders: the population mean', { x: 0, mean: 0 }, population],
    ['weighted between the population and the customer', { x: 2, mean: 50 }, ((params.q - 1) * population + params.p * 2 * 50) / (params.p * 2 + params.q - 1)],
    ['many orders: close to their own mean', { x: 1000, mean: 80 }, (params.p * (params.v + 1000 * 80)) / (params.p * 1000 + params.q - 1)],
  ])('%s', (_, customer, expected) => {
    expect(conditionalExpectedValue(params, customer)).toBeCloseTo(expected, 9);
  });

  it('is unknown when q <= 1 (infinite population mean)', () => {
    expect(conditionalExpectedValue({ p: 2, q: 0.9, v: 10 }, { x: 1, mean: 20 })).toBeNull();
  });

  it('needs at least two repeat buyers to fit', () => {
    expect(fitGammaGamma([{ x: 0, mean: 0 }, { x: 2, mean: 10 }])).toBeNull();
  });
});

describe('RFM quintiles', () => {
  const base = Array.from({ length: 100 }, (_, i) => ({ recencyDays: i, orders: 1 + (i % 10), monetary: (i + 1) * 10 }));
  const cuts = rfmCuts(base);

  it.each([
    ['best customer', { recencyDays: 0, orders: 10, monetary: 1000 }, '555'],
    ['lapsed one-timer', { recencyDays: 99, orders: 1, monetary: 10 }, '111'],
    ['middle', { recencyDays: 50, orders: 5, monetary: 500 }, '333'],
  ])('%s scores %s', (_, customer, score) => {
    expect(rfmScore(customer, cuts).score).toBe(score);
  });
});

/**
 * A simulated shop: customers drawn from known BG/NBD and Gamma-Gamma parameters with a seeded
 * generator, observed for a calibration period and then for a holdout. Tests check that a fit
 * recovers the parameters and that its forecast matches what the customers then bought; the
 * bench uses it to fill a database.
 */
import type { BgNbdParams } from './bgnbd';
import type { GammaGammaParams } from './gamma-gamma';

/**
 * mulberry32: a tiny 32-bit generator, uniform in [0, 1). Seeded, so a run is reproducible.
 *
 * @example
 * const random = seededRandom(42); random() // 0.6011...
 */
export function seededRandom(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function normal(random: () => number): number {
  // Box-Muller; 1 - u keeps the logarithm finite.
  return Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
}

/** Gamma(shape, rate) by Marsaglia & Tsang (2000), boosted for shape < 1. */
export function sampleGamma(random: () => number, shape: number, rate: number): number {
  if (shape < 1) return sampleGamma(random, shape + 1, rate) * Math.pow(1 - random(), 1 / shape);
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    const z = normal(random);
    const v = (1 + c * z) ** 3;
    if (v <= 0) continue;
    const u = 1 - random();
    if (Math.log(u) < 0.5 * z * z + d - d * v + d * Math.log(v)) return (d * v) / rate;
  }
}

export function sampleBeta(random: () => number, a: number, b: number): number {
  const x = sampleGamma(random, a, 1);
  return x / (x + sampleGamma(random, b, 1));
}

export interface SimulatedCustomer {
  /** Times of every order from the first (0), in the model's time unit, up to T + horizon. */
  orders: { at: number; value: number }[];
  /** Length of the calibration period, from the first order. */
  T: number;
  x: number;
  tx: number;
  /** Mean value of the repeat orders in the calibration period (0 when x = 0). */
  repeatMean: number;
  /** Orders in (T, T + horizon]. */
  holdout: number;
}

export interface ShopOptions {
  customers: number;
  bgnbd: BgNbdParams;
  gammaGamma: GammaGammaParams;
  /** Calibration length per customer (first orders spread over the period, as in a real cohort). */
  maxT: number;
  horizon: number;
  seed: number;
}

/**
 * Customers per the BG/NBD story: rate lambda ~ Gamma(r, alpha), drop-out p ~ Beta(a, b)
 * after each repeat order; order values Gamma(p, nu) with nu ~ Gamma(q, v).
 *
 * @example
 * simulateShop({ customers: 1000, bgnbd, gammaGamma, maxT: 273, horizon: 273, seed: 1 })
 */
export function simulateShop(o: ShopOptions): SimulatedCustomer[] {
  const random = seededRandom(o.seed);
  const out: SimulatedCustomer[] = [];
  for (let i = 0; i < o.customers; i++) {
    const lambda = sampleGamma(random, o.bgnbd.r, o.bgnbd.alpha);
    const p = sampleBeta(random, o.bgnbd.a, o.bgnbd.b);
    const nu = sampleGamma(random, o.gammaGamma.q, o.gammaGamma.v);
    const value = () => Math.round(sampleGamma(random, o.gammaGamma.p, nu) * 100) / 100 || 0.01;
    const T = Math.round(random() * o.maxT * 1000) / 1000;
    const orders = [{ at: 0, value: value() }];
    let t = 0;
    for (;;) {
      t += -Math.log(1 - random()) / lambda;
      if (t > T + o.horizon) break;
      orders.push({ at: t, value: value() });
      if (random() < p) break;
    }
    const calibration = orders.filter((e) => e.at <= T);
    const repeats = calibration.slice(1);
    out.push({
      orders,
      T,
      x: repeats.length,
      tx: calibration[calibration.length - 1]!.at,
      repeatMean: repeats.length ? repeats.reduce((s, e) => s + e.value, 0) / repeats.length : 0,
      holdout: orders.length - calibration.length,
    });
  }
  return out;
}

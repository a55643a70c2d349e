/**
 * RFM quintiles: each customer scores 1-5 on recency (days since the last order; recent is 5),
 * frequency (orders; more is 5) and monetary (total order value; more is 5), against cut points
 * taken from the whole customer base at fit time. Score text like "545" as marketers read it.
 */

/** The 20th, 40th, 60th and 80th percentiles of each measure over the customer base. */
export interface RfmCuts {
  recency: number[];
  frequency: number[];
  monetary: number[];
}

export interface RfmInput {
  recencyDays: number;
  orders: number;
  monetary: number;
}

export interface RfmScore {
  recency: number;
  frequency: number;
  monetary: number;
  score: string;
}

/** The q-quantile of sorted values, by linear interpolation between order statistics. */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return NaN;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

const quintileCuts = (values: number[]) => {
  const sorted = values.slice().sort((x, y) => x - y);
  return [0.2, 0.4, 0.6, 0.8].map((q) => quantile(sorted, q));
};

/**
 * Cut points from every customer's measures.
 *
 * @example
 * rfmCuts([{ recencyDays: 3, orders: 5, monetary: 200 }, ...]) // { recency: [..4], ... }
 */
export function rfmCuts(customers: readonly RfmInput[]): RfmCuts {
  return {
    recency: quintileCuts(customers.map((c) => c.recencyDays)),
    frequency: quintileCuts(customers.map((c) => c.orders)),
    monetary: quintileCuts(customers.map((c) => c.monetary)),
  };
}

/** 1 + the number of cut points the value exceeds: 1 (bottom fifth) .. 5 (top fifth). */
const rank = (value: number, cuts: readonly number[]) => 1 + cuts.filter((c) => value > c).length;

/**
 * One customer's RFM score against the base's cut points.
 *
 * @example
 * rfmScore({ recencyDays: 2, orders: 9, monetary: 800 }, cuts) // { recency: 5, frequency: 5, monetary: 5, score: '555' }
 */
export function rfmScore(c: RfmInput, cuts: RfmCuts): RfmScore {
  // Recency ranks the other way: fewer days since the last order is better.
  const recency = 6 - rank(c.recencyDays, cuts.recency);
  const frequency = rank(c.orders, cuts.frequency);
  const monetary = rank(c.monetary, cuts.monetary);
  return { recency, frequency, monetary, score: `${recency}${frequency}${monetary}` };
}

import { describe, expect, it } from 'vitest';
import { buildModel, DAY_MS, percentileOf, predictCustomer, recencyOf, type CustomerStats } from './customer';
import { simulateShop } from './simulate';

const NOW = Date.UTC(2026, 5, 1);
const stats = (orders: number, firstDaysAgo: number, lastDaysAgo: number, total = 10 * orders, firstValue = 10): CustomerStats => ({
  profileId: `p${orders}-${firstDaysAgo}-${lastDaysAgo}`,
  orders,
  firstAt: NOW - firstDaysAgo * DAY_MS,
  lastAt: NOW - lastDaysAgo * DAY_MS,
  total,
  firstValue,
});

describe('recencyOf', () => {
  it.each([
    ['one order today', stats(1, 0, 0), { x: 0, tx: 0, T: 0 }],
    ['three orders over 50 days, first 60 days ago', stats(3, 60, 10), { x: 2, tx: 50, T: 60 }],
    ['same-day orders all count', stats(4, 5, 5), { x: 3, tx: 0, T: 5 }],
  ])('%s', (_, s, expected) => {
    expect(recencyOf(s, NOW)).toEqual(expected);
  });
});

describe('percentileOf', () => {
  const grid = Array.from({ length: 101 }, (_, i) => i * 10);
  it.each([
    [-5, 0],
    [0, 0],
    [55, 5.5],
    [1000, 100],
    [5000, 100],
  ])('%f ranks at %f', (value, expected) => expect(percentileOf(value, grid)).toBe(expected));

  it('ranks a value shared by many at the top of its run', () => {
    expect(percentileOf(0, [0, 0, 0, 0, 10])).toBe(75);
  });
});

describe('buildModel', () => {
  const shop = simulateShop({ customers: 3000, bgnbd: { r: 0.243, alpha: 30.9, a: 0.793, b: 2.426 }, gammaGamma: { p: 6.25, q: 3.74, v: 15.44 }, maxT: 273, horizon: 0, seed: 9 });
  const customers: CustomerStats[] = shop.map((c, i) => {
    const placed = c.orders.filter((o) => o.at <= c.T);
    return {
      profileId: `c${i}`,
      orders: placed.length,
      firstAt: NOW - c.T * DAY_MS,
      lastAt: NOW - (c.T - c.tx) * DAY_MS,
      total: placed.reduce((s, o) => s + o.value, 0),
      firstValue: placed[0]!.value,
    };
  });
  const { model, predictions } = buildModel(customers, new Array(26).fill(0), NOW, 'Order Completed');

  it('keeps a sorted LTV grid of 101 points and RFM cut points', () => {
    expect(model.ltvPercentiles).toHaveLength(101);
    expect(model.ltvPercentiles).toEqual(model.ltvPercentiles.slice().sort((a, b) => a - b));
    expect(model.rfm.frequency).toHaveLength(4);
  });

  it('expects repeat orders in the recent weeks of a growing cohort', () => {
    expect(model.weekly).toHaveLength(26);
    expect(model.weekly.every((w) => w.expected !== null && w.expected >= 0)).toBe(true);
    expect(model.weekly[25]!.weekStart).toBe(new Date(NOW - 7 * DAY_MS).toISOString());
  });

  it('predicts consistently: churn risk complements P(alive), value is orders times order value', () => {
    const p = predictCustomer(model, customers.find((c) => c.orders > 3)!, NOW);
    expect(p.churnRisk).toBeCloseTo(1 - p.pAlive, 6);
    expect(p.ltv365d!).toBeCloseTo(p.expectedOrders365d! * p.expectedOrderValue!, 1);
    expect(p.ltvPercentile!).toBeGreaterThan(50);
  });

  it('returns everyone\'s predictions as a read would compute them at asOf', () => {
    for (const i of [0, 17, 2999]) expect(predictions[i]!.predictions).toEqual(predictCustomer(model, customers[i]!, NOW));
  });
});

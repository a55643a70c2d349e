/**
 * A small Nelder-Mead minimiser. The models fit 3-4 parameters by maximum likelihood; the
 * callers optimise over log-parameters so every point of the simplex is a valid model and
 * scales as different as r ~ 0.2 and alpha ~ 30 days are treated alike.
 */

export interface MinimiseOptions {
  /** Initial step per coordinate (default 0.5: on log-parameters, a factor of about 1.6). */
  step?: number;
  /** Stop when the simplex's function values and coordinates agree within these. */
  fTolerance?: number;
  xTolerance?: number;
  maxIterations?: number;
  /** Restarts from the best point: Nelder-Mead can stall on a collapsed simplex. */
  restarts?: number;
}

export interface MinimiseResult {
  x: number[];
  value: number;
  iterations: number;
  converged: boolean;
}

/**
 * Minimises `f` from `start`. Non-finite values count as +Infinity, so a function may refuse
 * points outside its domain by returning NaN.
 *
 * @example
 * minimise(([x, y]) => (x! - 1) ** 2 + (y! + 2) ** 2, [0, 0]).x // ~[1, -2]
 */
export function minimise(f: (x: number[]) => number, start: number[], options: MinimiseOptions = {}): MinimiseResult {
  const { step = 0.5, fTolerance = 1e-10, xTolerance = 1e-8, maxIterations = 5000, restarts = 2 } = options;
  const safe = (x: number[]) => {
    const v = f(x);
    return Number.isFinite(v) ? v : Infinity;
  };
  let best: MinimiseResult = { x: start, value: safe(start), iterations: 0, converged: false };
  for (let round = 0; round <= restarts; round++) {
    const run = simplexSearch(safe, best.x, step, fTolerance, xTolerance, maxIterations);
    const improved = best.value - run.value;
    best = { ...run, iterations: best.iterations + run.iterations };
    if (round > 0 && run.converged && improved <= fTolerance * (1 + Math.abs(run.value))) break;
  }
  return best;
}

function simplexSearch(f: (x: number[]) => number, start: number[], step: number, fTol: number, xTol: number, maxIterations: number): MinimiseResult {
  const n = start.length;
  const points = [start.slice()];
  for (let i = 0; i < n; i++) {
    const p = start.slice();
    p[i]! += step;
    points.push(p);
  }
  let values = points.map(f);
  let iterations = 0;
  const at = (p: number[], q: number[], t: number) => p.map((v, i) => v + t * (q[i]! - v));
  while (iterations < maxIterations) {
    iterations++;
    const order = values.map((_, i) => i).sort((i, j) => values[i]! - values[j]!);
    const sorted = order.map((i) => points[i]!);
    values = order.map((i) => values[i]!);
    points.splice(0, points.length, ...sorted);
    const spreadF = Math.abs(values[n]! - values[0]!);
    const spreadX = Math.max(...points.slice(1).map((p) => Math.max(...p.map((v, i) => Math.abs(v - points[0]![i]!)))));
    if (spreadF <= fTol * (1 + Math.abs(values[0]!)) && spreadX <= xTol * (1 + Math.max(...points[0]!.map(Math.abs)))) {
      return { x: points[0]!, value: values[0]!, iterations, converged: true };
    }
    const centroid = points[0]!.map((_, i) => points.slice(0, n).reduce((s, p) => s + p[i]!, 0) / n);
    const worst = points[n]!;
    const reflected = at(centroid, worst, -1);
    const fr = f(reflected);
    if (fr < values[0]!) {
      const expanded = at(centroid, worst, -2);
      const fe = f(expanded);
      if (fe < fr) [points[n], values[n]] = [expanded, fe];
      else [points[n], values[n]] = [reflected, fr];
      continue;
    }
    if (fr < values[n - 1]!) {
      [points[n], values[n]] = [reflected, fr];
      continue;
    }
    const outside = fr < values[n]!;
    const contracted = outside ? at(centroid, worst, -0.5) : at(centroid, worst, 0.5);
    const fc = f(contracted);
    if (fc < (outside ? fr : values[n]!)) {
      [points[n], values[n]] = [contracted, fc];
      continue;
    }
    // Shrink towards the best point.
    for (let i = 1; i <= n; i++) {
      points[i] = at(points[0]!, points[i]!, 0.5);
      values[i] = f(points[i]!);
    }
  }
  const bestIndex = values.indexOf(Math.min(...values));
  return { x: points[bestIndex]!, value: values[bestIndex]!, iterations, converged: false };
}

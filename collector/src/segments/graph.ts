import type { Condition } from './condition';

export interface SegmentNode {
  key: string;
  dependsOn: readonly string[];
}

/** Every `{"segment": key}` of a condition with the path of its node, for 400s that point at it. */
export function segmentRefs(condition: Condition, path = 'condition'): { key: string; path: string }[] {
  if ('segment' in condition) return [{ key: condition.segment, path: `${path}.segment` }];
  if ('and' in condition) return condition.and.flatMap((c, i) => segmentRefs(c, `${path}.and[${i}]`));
  if ('or' in condition) return condition.or.flatMap((c, i) => segmentRefs(c, `${path}.or[${i}]`));
  if ('not' in condition) return segmentRefs(condition.not, `${path}.not`);
  return [];
}

/**
 * The cycle that saving `key` with `dependsOn` would create, as a list of keys from `key` back
 * to itself, or null. `others` are the workspace's other segments as stored.
 *
 * @example
 * findCycle('a', ['b'], [{ key: 'b', dependsOn: ['a'] }]) // ['a', 'b', 'a']
 */
export function findCycle(key: string, dependsOn: readonly string[], others: readonly SegmentNode[]): string[] | null {
  const deps = new Map(others.filter((s) => s.key !== key).map((s) => [s.key, s.dependsOn]));
  deps.set(key, dependsOn);
  const visiting: string[] = [];
  const done = new Set<string>();
  const visit = (k: string): string[] | null => {
    const at = visiting.indexOf(k);
    if (at >= 0) return [...visiting.slice(at), k];
    if (done.has(k)) return null;
    visiting.push(k);
    for (const d of deps.get(k) ?? []) {
      const cycle = visit(d);
      if (cycle) return cycle;
    }
    visiting.pop();
    done.add(k);
    return null;
  };
  return visit(key);
}

/**
 * The order to evaluate segments in: a segment comes after the segments it references, so
 * `{"segment": ...}` reads memberships already brought up to date in the same run. With
 * `roots`, only those segments and the segments depending on them (transitively) are listed.
 *
 * @example
 * evaluationOrder([{ key: 'vip', dependsOn: ['buyers'] }, { key: 'buyers', dependsOn: [] }]) // ['buyers', 'vip']
 */
export function evaluationOrder(segments: readonly SegmentNode[], roots?: ReadonlySet<string>): string[] {
  const byKey = new Map(segments.map((s) => [s.key, s]));
  let wanted = new Set(segments.map((s) => s.key));
  if (roots) {
    wanted = new Set([...roots].filter((k) => byKey.has(k)));
    for (let grew = true; grew; ) {
      grew = false;
      for (const s of segments) {
        if (!wanted.has(s.key) && s.dependsOn.some((d) => wanted.has(d))) {
          wanted.add(s.key);
          grew = true;
        }
      }
    }
  }
  const order: string[] = [];
  const placed = new Set<string>();
  const place = (key: string, trail: Set<string>) => {
    if (placed.has(key) || trail.has(key) || !byKey.has(key)) return;
    trail.add(key);
    for (const d of byKey.get(key)!.dependsOn) place(d, trail);
    trail.delete(key);
    placed.add(key);
    if (wanted.has(key)) order.push(key);
  };
  for (const s of [...segments].sort((a, b) => a.key.localeCompare(b.key))) place(s.key, new Set());
  return order;
}

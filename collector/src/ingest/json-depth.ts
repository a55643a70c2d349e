/**
 * Whether a parsed JSON value nests objects/arrays deeper than `limit` levels (the value itself
 * is level 1). Iterative, so a hostile 100,000-level document cannot overflow the stack.
 *
 * @example
 * exceedsDepth({ a: [1] }, 2) // -> false
 * exceedsDepth({ a: [[1]] }, 2) // -> true
 */
export function exceedsDepth(value: unknown, limit: number): boolean {
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length > 0) {
    const [node, depth] = stack.pop()!;
    if (node === null || typeof node !== 'object') continue;
    if (depth > limit) return true;
    for (const child of Array.isArray(node) ? node : Object.values(node)) {
      if (child !== null && typeof child === 'object') stack.push([child, depth + 1]);
    }
  }
  return false;
}

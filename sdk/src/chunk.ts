/**
 * Splits `items` in order into consecutive groups whose sizes add up to at most `limit`.
 * Used for the collector's 500 KB batch limit and the browser's 64 KB keepalive budget.
 * An item larger than `limit` travels alone (the collector then rejects it by itself,
 * never its neighbours).
 *
 * @example
 * chunk([300, 300, 300], (n) => n, 700) // -> [[300, 300], [300]]
 */
export function chunk<T>(items: readonly T[], sizeOf: (item: T) => number, limit: number): T[][] {
  const groups: T[][] = [];
  let group: T[] = [];
  let bytes = 0;
  for (const item of items) {
    const size = sizeOf(item);
    if (group.length && bytes + size > limit) {
      groups.push(group);
      group = [];
      bytes = 0;
    }
    group.push(item);
    bytes += size;
  }
  if (group.length) groups.push(group);
  return groups;
}

/**
 * UTF-8 bytes of a string: what the limits are measured in (string length undercounts non-ASCII).
 * ASCII, most JSON, is counted without encoding it.
 */
export const byteLength = (text: string): number =>
  /[^\0-\x7f]/.test(text) ? new TextEncoder().encode(text).length : text.length;

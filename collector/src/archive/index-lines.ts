/**
 * The `lines` of an archive index row: 0-based line numbers of one archive object, as
 * comma-separated text (a few bytes per event), ascending once parsed.
 *
 * @example
 * parseLines('4,0,17') // -> [0, 4, 17]
 */
export function parseLines(text: string): number[] {
  if (text === '') return [];
  return text
    .split(',')
    .map(Number)
    .filter((n) => Number.isInteger(n) && n >= 0)
    .sort((a, b) => a - b);
}

/**
 * Where lines land when an object is rewritten without the `dropped` ones: a dropped line goes,
 * every other line moves up by the number of dropped lines before it.
 *
 * @example
 * shiftLines([0, 2, 5], [1, 2]) // -> [0, 3]
 */
export function shiftLines(lines: readonly number[], dropped: readonly number[]): number[] {
  const gone = [...dropped].sort((a, b) => a - b);
  const out: number[] = [];
  let d = 0;
  for (const line of [...lines].sort((a, b) => a - b)) {
    while (d < gone.length && gone[d] < line) d++;
    if (gone[d] === line) continue;
    out.push(line - d);
  }
  return out;
}

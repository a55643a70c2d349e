// D1 caps a bound value at ~2 MB and 100 bound parameters per statement: bulk writes bind their
// rows as one JSON array read by json_each, split in chunks that stay well under the value cap.
const MAX_CHUNK_CHARS = 1_500_000;

/**
 * Serialises rows into JSON arrays of at most ~1.5 MB each.
 *
 * @example
 * jsonChunks([[1, 'a'], [2, 'b']]) // -> ['[[1,"a"],[2,"b"]]']
 */
export function jsonChunks(rows: readonly unknown[], maxChars = MAX_CHUNK_CHARS): string[] {
  const out: string[] = [];
  let chunk: string[] = [];
  let chars = 0;
  for (const row of rows) {
    const text = JSON.stringify(row);
    if (chunk.length > 0 && chars + text.length > maxChars) {
      out.push(`[${chunk.join(',')}]`);
      chunk = [];
      chars = 0;
    }
    chunk.push(text);
    chars += text.length + 1;
  }
  if (chunk.length > 0) out.push(`[${chunk.join(',')}]`);
  return out;
}

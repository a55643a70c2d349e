/** D1 accepts at most 100 bound parameters per statement. */
export const MAX_BOUND_PARAMS = 100;

export type SqlValue = string | number | null;

/**
 * Collects bound parameters for one statement and hands out numbered placeholders (`?3`).
 * Equal values share one placeholder, which keeps a condition that repeats a JSON path
 * (type check, then extract) within D1's 100-parameter limit.
 *
 * @example
 * const params = new Params();
 * const ws = params.add('ws_1'); // '?1'
 * `SELECT id FROM profiles WHERE workspace_id = ${ws}`; params.values // ['ws_1']
 */
export class Params {
  readonly values: SqlValue[] = [];
  private readonly seen = new Map<string, string>();

  add(value: SqlValue): string {
    const key = value === null ? 'null' : `${typeof value}:${value}`;
    const known = this.seen.get(key);
    if (known) return known;
    this.values.push(value);
    const placeholder = `?${this.values.length}`;
    this.seen.set(key, placeholder);
    return placeholder;
  }
}

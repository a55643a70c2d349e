/**
 * The SQL of a workspace's move between databases (directory/move.ts): read a chunk of a table in
 * key order, write it to the other database, reserve an id range there, delete a chunk. Table and
 * column names come from store/move-tables.ts and the database's own answer, never from a request;
 * every value is bound.
 */
import { jsonChunks } from './json-chunks';
import type { MovedTable } from './move-tables';

export type KeyValues = (string | number)[];
export interface RowChunk {
  columns: string[];
  rows: unknown[][];
}

const quote = (name: string) => `"${name.replaceAll('"', '""')}"`;
const tuple = (names: readonly string[]) => `(${names.map(quote).join(', ')})`;

/**
 * Up to `limit` rows of a workspace in key order, after `after` (exclusive). `+workspace_id` keeps
 * SQLite walking the key instead of sorting the workspace's rows for every chunk.
 *
 * @example
 * const chunk = await readRows(db, { table: 'events', key: ['seq'] }, 'ws_1', null, 200);
 */
export async function readRows(db: D1Database, t: MovedTable, workspaceId: string, after: KeyValues | null, limit: number): Promise<RowChunk> {
  const past = after ? `AND ${tuple(t.key)} > (${t.key.map((_, i) => `?${i + 3}`).join(', ')})` : '';
  const [columns, ...rows] = await db
    .prepare(`SELECT * FROM ${quote(t.table)} WHERE +workspace_id = ?1 ${past} ORDER BY ${t.key.map(quote).join(', ')} LIMIT ?2`)
    .bind(workspaceId, limit, ...(after ?? []))
    .raw<unknown[]>({ columnNames: true });
  return { columns: columns as string[], rows };
}

/** The key of a row of a chunk (the copy's cursor). */
export const keyOf = (t: MovedTable, chunk: RowChunk, row: unknown[]): KeyValues => t.key.map((k) => row[chunk.columns.indexOf(k)] as string | number);

/** The lowest and highest id of a workspace's rows in an id table, or null when it has none. */
export async function idRange(db: D1Database, t: MovedTable & { id: string }, workspaceId: string): Promise<{ min: number; max: number } | null> {
  const row = await db
    .prepare(`SELECT min(${quote(t.id)}) AS min, max(${quote(t.id)}) AS max FROM ${quote(t.table)} WHERE workspace_id = ?`)
    .bind(workspaceId)
    .first<{ min: number | null; max: number | null }>();
  return row && row.min !== null && row.max !== null ? { min: row.min, max: row.max } : null;
}

/** The select list that turns a JSON row back into columns, shifting ids by their table's offset. */
function columnsFromJson(t: MovedTable, columns: readonly string[], offsets: Readonly<Record<string, number>>, idExpr: string): string {
  return columns
    .map((c, i) => {
      const value = `json_extract(value, '$[${i}]')`;
      if (c === t.id) return idExpr;
      const ref = t.refs?.[c];
      return ref ? `${value} + ${Math.trunc(offsets[ref] ?? 0)}` : value;
    })
    .join(', ');
}

/**
 * Statements that write a chunk to the target (run them as one `db.batch`: atomic). Rows already
 * there are skipped, so a chunk written again after a crash changes nothing.
 */
export function insertRowsStatements(db: D1Database, t: MovedTable, chunk: RowChunk, offsets: Readonly<Record<string, number>>): D1PreparedStatement[] {
  const idIndex = t.id ? chunk.columns.indexOf(t.id) : -1;
  const idExpr = `json_extract(value, '$[${idIndex}]') + ${Math.trunc(offsets[t.table] ?? 0)}`;
  const sql = `INSERT OR IGNORE INTO ${quote(t.table)} ${tuple(chunk.columns)} SELECT ${columnsFromJson(t, chunk.columns, offsets, idExpr)} FROM json_each(?1)`;
  return jsonChunks(chunk.rows).map((part) => db.prepare(sql).bind(part));
}

/**
 * Reserves a range of `span + 1` ids above the target's highest, by writing the workspace's
 * highest row at its top in one statement (the database assigns new ids above its highest, so
 * nobody else takes an id in the range). Answers the offset to add to every source id.
 */
export async function reserveIds(db: D1Database, t: MovedTable & { id: string }, top: RowChunk, span: number, offsets: Readonly<Record<string, number>>): Promise<number> {
  const idExpr = `(SELECT coalesce(max(${quote(t.id)}), 0) FROM ${quote(t.table)}) + 1 + ?2`;
  const row = await db
    .prepare(`INSERT INTO ${quote(t.table)} ${tuple(top.columns)} SELECT ${columnsFromJson(t, top.columns, offsets, idExpr)} FROM json_each(?1) RETURNING ${quote(t.id)} AS id`)
    .bind(JSON.stringify(top.rows), span)
    .first<{ id: number }>();
  return row!.id - (top.rows[0][top.columns.indexOf(t.id)] as number);
}

/** Deletes up to `limit` of a workspace's rows from a table; answers how many went. */
export async function deleteRows(db: D1Database, t: MovedTable, workspaceId: string, limit: number): Promise<number> {
  const result = await db
    .prepare(`DELETE FROM ${quote(t.table)} WHERE ${tuple(t.key)} IN (SELECT ${t.key.map(quote).join(', ')} FROM ${quote(t.table)} WHERE workspace_id = ?1 LIMIT ?2)`)
    .bind(workspaceId, limit)
    .run();
  return result.meta.changes ?? 0;
}

/** Every table of a database (the schema check of collector/test/databases.test.ts). */
export async function tableNames(db: D1Database): Promise<string[]> {
  const { results } = await db
    .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_cf_%' ORDER BY name")
    .all<{ name: string }>();
  return results.map((r) => r.name);
}

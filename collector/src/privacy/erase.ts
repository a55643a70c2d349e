import { nanoid } from 'nanoid';
import { insertTombstoneStatement } from '../store/archive-tombstones';
import { eraseStatements, existingTables, type Person } from '../store/person-data';
import { deleteSuppressionsStatement, insertLogStatement, insertSuppressionsStatement, type HashedId } from '../store/privacy';
import { storageCall } from '../store/storage-call';
import { hashIdentifier } from './id-hash';

export interface Erasure {
  logId: string;
  rowCounts: Record<string, number>;
  suppressed: HashedId[];
}

/**
 * Erases a person: every row of every table that holds them, the log entry (key id, time, hashed
 * ids, row counts), with `suppress` suppression records of their ids, and a tombstone that hides
 * their events in the R2 archive until the inbox rewrites it (`scheduleArchiveJob(…, 'purge')`), all in one atomic D1
 * batch. Row counts are written into the log inside the same batch with SQLite's `changes()`,
 * so there is never an erasure without its log entry.
 *
 * @example
 * const { rowCounts } = await erasePerson(env.DB, 'ws_1', person, { suppress: true, keyId: 'key_1' });
 */
export async function erasePerson(
  db: D1Database,
  workspaceId: string,
  person: Person,
  opts: { suppress: boolean; keyId: string; now?: number },
): Promise<Erasure> {
  const now = opts.now ?? Date.now();
  const logId = `del_${nanoid(16)}`;
  const ids = await Promise.all(person.identifiers.map(async (id) => ({ type: id.type, hash: await hashIdentifier(workspaceId, id) })));
  const tables = await storageCall(() => existingTables(db));
  const erase = eraseStatements(db, workspaceId, person, tables);
  const statements: D1PreparedStatement[] = [
    insertLogStatement(db, { id: logId, workspaceId, action: 'delete', keyId: opts.keyId, createdAt: now, ids, rowCounts: {}, suppressed: opts.suppress }),
  ];
  for (const { table, statement } of erase) {
    statements.push(
      statement,
      // changes() is the row count of the DELETE just before, in the same transaction.
      db.prepare("UPDATE privacy_log SET row_counts = json_set(row_counts, '$.' || ?2, changes()) WHERE id = ?1").bind(logId, table),
    );
  }
  if (opts.suppress && ids.length > 0) statements.push(insertSuppressionsStatement(db, workspaceId, ids, logId, now));
  // The R2 archive: readers skip the person's events from this batch on, until the workspace's
  // inbox has rewritten every object without them (archive/purge.ts); last, so the counts above keep their places.
  if (ids.length > 0) statements.push(insertTombstoneStatement(db, { id: logId, workspaceId, idHashes: ids.map((i) => i.hash), createdAt: now }));
  const results = await storageCall(() => db.batch(statements));
  const rowCounts: Record<string, number> = {};
  erase.forEach(({ table }, i) => (rowCounts[table] = results[1 + 2 * i].meta.changes ?? 0));
  return { logId, rowCounts, suppressed: opts.suppress ? ids : [] };
}

/**
 * Lifts the suppression of an identifier and of every id suppressed with it (one person comes
 * back as a whole), logging the lift. Returns the number of suppression records removed.
 *
 * @example
 * await liftSuppression(env.DB, 'ws_1', { type: 'email', value: 'ana@example.com' }, 'key_1');
 */
export async function liftSuppression(
  db: D1Database,
  workspaceId: string,
  id: { type: string; value: string },
  keyId: string,
  now = Date.now(),
): Promise<{ lifted: HashedId[] }> {
  const hash = await hashIdentifier(workspaceId, id);
  const { liftedRows } = await storageCall(async () => {
    const siblings = await db
      .prepare(`SELECT type, id_hash FROM suppressions WHERE workspace_id = ?1 AND log_id IN
        (SELECT log_id FROM suppressions WHERE workspace_id = ?1 AND id_hash = ?2)`)
      .bind(workspaceId, hash)
      .all<{ type: string; id_hash: string }>();
    return { liftedRows: siblings.results };
  });
  const lifted = liftedRows.map((r) => ({ type: r.type, hash: r.id_hash }));
  if (lifted.length === 0) return { lifted };
  await storageCall(() =>
    db.batch([
      deleteSuppressionsStatement(db, workspaceId, lifted.map((l) => l.hash)),
      insertLogStatement(db, { id: `lift_${nanoid(16)}`, workspaceId, action: 'lift', keyId, createdAt: now, ids: lifted, rowCounts: { suppressions: lifted.length }, suppressed: false }),
    ]),
  );
  return { lifted };
}

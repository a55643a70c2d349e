/**
 * Whether D1 answers for the tables the resolver writes: one round trip that reads no row. Tells
 * an outage (every message fails, none is to blame) from a message that fails on its own.
 *
 * @example
 * if (!(await storageAnswers(env.DB))) return; // wait for D1, hold nothing against the batch
 */
export async function storageAnswers(db: D1Database): Promise<boolean> {
  try {
    await db.batch(['events', 'profiles', 'identities', 'merge_log', 'accounts'].map((t) => db.prepare(`SELECT 1 FROM ${t} LIMIT 0`)));
    return true;
  } catch {
    return false;
  }
}

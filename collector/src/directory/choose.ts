import type { Env } from '../env';
import { databaseBytes, workspacesPerDatabase } from '../store/workspaces';
import { databaseNames, databaseOf } from './databases';
import { leastLoaded } from './placement';

/**
 * The database a new workspace goes to: each database's bytes (one tiny query each, in parallel)
 * and the directory's workspace counts, weighed by `leastLoaded`.
 *
 * @example
 * const database = await chooseDatabase(env); // 'DB_2'
 */
export async function chooseDatabase(env: Env): Promise<string> {
  const names = databaseNames(env);
  const [counts, bytes] = await Promise.all([workspacesPerDatabase(env.DB), Promise.all(names.map((n) => databaseBytes(databaseOf(env, n))))]);
  return leastLoaded(names.map((name, i) => ({ name, bytes: bytes[i], workspaces: counts.get(name) ?? 0 })));
}

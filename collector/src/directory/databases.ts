import type { Env } from '../env';

/**
 * The binding of the directory (`workspaces`, `api_keys` and other global tables). It is also the
 * first database of workspace data, so a deployment from before several databases keeps working
 * with every workspace mapped to it.
 */
export const DIRECTORY = 'DB';

// Data databases are the D1 bindings named DB or DB_<NAME>: declaring one in wrangler.toml is all it takes.
const DATABASE_BINDING = /^DB(_[A-Z0-9_]+)?$/;

const isD1 = (value: unknown): value is D1Database =>
  typeof value === 'object' && value !== null && typeof (value as D1Database).prepare === 'function' && typeof (value as D1Database).batch === 'function';

/**
 * The binding names of every database of workspace data, the directory's first, then by name.
 *
 * @example
 * databaseNames(env) // ['DB', 'DB_2']
 */
export function databaseNames(env: Env): string[] {
  const names = Object.keys(env).filter((name) => DATABASE_BINDING.test(name) && isD1((env as unknown as Record<string, unknown>)[name]));
  return names.sort((a, b) => (a === DIRECTORY ? -1 : b === DIRECTORY ? 1 : a.localeCompare(b, 'en', { numeric: true })));
}

/** Whether `name` is a database of workspace data bound to this Worker. */
export function isDatabase(env: Env, name: string): boolean {
  return DATABASE_BINDING.test(name) && isD1((env as unknown as Record<string, unknown>)[name]);
}

/**
 * The D1 binding of a database of workspace data. A name the directory holds but this Worker does not
 * bind (a binding removed from wrangler.toml while workspaces still live there) is a configuration error.
 *
 * @example
 * const db = databaseOf(env, workspace.database);
 */
export function databaseOf(env: Env, name: string): D1Database {
  if (!isDatabase(env, name)) throw new Error(`D1 database ${name} is not bound to this Worker (wrangler.toml [[d1_databases]])`);
  return (env as unknown as Record<string, D1Database>)[name];
}

import { eventIdentifiers } from '../identity/identifiers';
import { hashIdentifier } from '../privacy/id-hash';
import { listTombstones, type Tombstone } from '../store/archive-tombstones';
import type { LineFilter } from './export-stream';
import { fromArchiveLine, type ArchiveLine } from './line';

/**
 * Whether an archived event belongs to an erased person: one of its identifiers (as the resolver
 * reads them: user and anonymous ids, email and phone from traits, external ids, an alias's
 * previous id) hashes to one of theirs. Each distinct identifier is hashed once per filter.
 *
 * @example
 * const keep = tombstoneFilter('ws_1', tombstones, 'DE');
 * if (await keep(line)) write(line);
 */
export function tombstoneFilter(workspaceId: string, tombstones: readonly Tombstone[], defaultCountry?: string): (line: ArchiveLine) => Promise<boolean> {
  const erased = new Set(tombstones.flatMap((t) => t.idHashes));
  const hashes = new Map<string, Promise<string>>();
  const hashOf = (type: string, value: string) => {
    const key = `${type}\u0000${value}`;
    let hash = hashes.get(key);
    if (!hash) hashes.set(key, (hash = hashIdentifier(workspaceId, { type, value })));
    return hash;
  };
  return async (line) => {
    const found = eventIdentifiers(fromArchiveLine(line), defaultCountry);
    const ids = found.ids.map((i) => [i.type, i.value]);
    if (found.previousId !== undefined) ids.push(['user_id', found.previousId], ['anonymous_id', found.previousId]);
    for (const [type, value] of ids) if (erased.has(await hashOf(type, value))) return false;
    return true;
  };
}

/**
 * The filter every reader of a workspace's archive applies: null when no erasure waits to be
 * rewritten out of it (then objects can be passed through unparsed). `db` is the database holding
 * the workspace's data.
 *
 * @example
 * const keep = await erasedFilter(databaseOf(env, workspace.database), workspace);
 */
export async function erasedFilter(db: D1Database, workspace: { id: string; settings: { defaultCountry?: string } }): Promise<LineFilter> {
  const tombstones = await listTombstones(db, workspace.id);
  if (tombstones.length === 0) return null;
  return tombstoneFilter(workspace.id, tombstones, workspace.settings.defaultCountry);
}

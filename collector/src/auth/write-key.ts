import type { Env } from '../env';
import { unauthorized } from '../http/errors';
import { enforceRateLimit } from '../limits/enforce';
import { storageCall } from '../store/storage-call';
import { TtlCache } from '../store/ttl-cache';
import { getWorkspace, type Workspace } from '../store/workspaces';
import { keyFromAuthorization } from './credentials';
import { resolveKey } from './resolve';

const workspaces = new TtlCache<Workspace | null>(30_000);

export interface WriteKeySources {
  authorization?: string | null;
  bodyKey?: unknown;
  queryKey?: string | null;
}

/**
 * The workspace a write key belongs to, with the key's id. The key is taken from HTTP
 * Basic/Bearer first, then the body's `writeKey`, then `?writeKey=`; a wrong or missing key is a 401.
 */
export async function resolveWriteKey(db: D1Database, sources: WriteKeySources): Promise<{ workspace: Workspace; keyId: string }> {
  const plaintext =
    keyFromAuthorization(sources.authorization) ??
    (typeof sources.bodyKey === 'string' && sources.bodyKey ? sources.bodyKey : null) ??
    (sources.queryKey || null);
  if (!plaintext) throw unauthorized('Missing write key: send it as the HTTP Basic username, as writeKey, or ?writeKey=');
  const found = await storageCall(async () => {
    const key = await resolveKey(db, plaintext);
    if (!key || key.kind !== 'write') return null;
    const workspace = await workspaces.get(key.workspaceId, () => getWorkspace(db, key.workspaceId));
    return workspace ? { workspace, keyId: key.id } : null;
  });
  if (!found) throw unauthorized('Invalid write key');
  return found;
}

/** The workspace of a write key (see `resolveWriteKey`). */
export async function workspaceForWriteKey(db: D1Database, sources: WriteKeySources): Promise<Workspace> {
  return (await resolveWriteKey(db, sources)).workspace;
}

/**
 * Ingest authentication: the write key's workspace, after spending one request of the key's
 * ingest rate limit (429 + Retry-After when spent).
 *
 * @example
 * const workspace = await authenticateWriteKey(c.env, { authorization: c.req.header('authorization') });
 */
export async function authenticateWriteKey(env: Env, sources: WriteKeySources): Promise<Workspace> {
  const { workspace, keyId } = await resolveWriteKey(env.DB, sources);
  await enforceRateLimit(env, 'ingest', keyId);
  return workspace;
}

/** Forget cached workspace settings (after they change). */
export function forgetWorkspaces(): void {
  workspaces.clear();
}

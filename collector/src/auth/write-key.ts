import { unauthorized } from '../http/errors';
import { storageCall } from '../store/storage-call';
import { TtlCache } from '../store/ttl-cache';
import { getWorkspace, type Workspace } from '../store/workspaces';
import { keyFromAuthorization } from './credentials';
import { resolveKey } from './resolve';

const workspaces = new TtlCache<Workspace | null>(30_000);

/**
 * The workspace a write key belongs to. The key is taken from HTTP Basic/Bearer first,
 * then the body's `writeKey`, then `?writeKey=`; a wrong or missing key is a 401.
 */
export async function workspaceForWriteKey(
  db: D1Database,
  sources: { authorization?: string | null; bodyKey?: unknown; queryKey?: string | null },
): Promise<Workspace> {
  const plaintext =
    keyFromAuthorization(sources.authorization) ??
    (typeof sources.bodyKey === 'string' && sources.bodyKey ? sources.bodyKey : null) ??
    (sources.queryKey || null);
  if (!plaintext) throw unauthorized('Missing write key: send it as the HTTP Basic username, as writeKey, or ?writeKey=');
  const workspace = await storageCall(async () => {
    const key = await resolveKey(db, plaintext);
    if (!key || key.kind !== 'write') return null;
    return workspaces.get(key.workspaceId, () => getWorkspace(db, key.workspaceId));
  });
  if (!workspace) throw unauthorized('Invalid write key');
  return workspace;
}

/** Forget cached workspace settings (after they change). */
export function forgetWorkspaces(): void {
  workspaces.clear();
}

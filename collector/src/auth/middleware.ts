import { createMiddleware } from 'hono/factory';
import type { AppEnv } from '../env';
import { forbidden, unauthorized, workspaceMoving } from '../http/errors';
import { phase } from '../http/server-timing';
import { enforceRateLimit } from '../limits/enforce';
import { storageCall } from '../store/storage-call';
import { isMoving } from '../store/workspaces';
import { keyFromAuthorization } from './credentials';
import { databaseOf } from '../directory/databases';
import { constantTimeEqual, type Scope } from './keys';
import { resolveKey } from './resolve';

/**
 * Secret-key routes: `Authorization: Bearer <secretKey>` or Basic with the key as username.
 * Write keys are public, so they get the same 401 as no key at all; a key without the scope
 * gets 403. Then one request of the key's read rate limit is spent (429 + Retry-After).
 *
 * `limitAlongsideReads`: a GET or HEAD runs while the limit is being spent instead of after it,
 * and is answered 429 all the same when the budget is spent (its answer is dropped). For routes
 * whose reads change nothing, where the limit's round trip would otherwise add to every read.
 *
 * @example
 * profileRoutes.use('*', timedRequest, requireSecretKey('read', { limitAlongsideReads: true }));
 */
export function requireSecretKey(scope: Scope, options: { limitAlongsideReads?: boolean } = {}) {
  return createMiddleware<AppEnv>(async (c, next) => {
    const plaintext = keyFromAuthorization(c.req.header('authorization'));
    if (!plaintext) throw unauthorized('Missing secret key: send Authorization: Bearer <secretKey>');
    const key = await phase(c, 'key', () => storageCall(() => resolveKey(c.env.DB, plaintext)));
    if (!key || key.kind !== 'secret') throw unauthorized('Invalid secret key');
    if (!key.scopes.includes(scope)) throw forbidden(`This key lacks the '${scope}' scope`);
    // Every secret-key route (reads, exports, deletions, management) shares the key's read budget.
    const limit = phase(c, 'limit', () => enforceRateLimit(c.env, 'read', key.id));
    const alongside = options.limitAlongsideReads && (c.req.method === 'GET' || c.req.method === 'HEAD');
    // Settled into a value at once, so a 429 that arrives while the read runs is never an unhandled rejection.
    const refused = alongside ? limit.then(() => null, (err: unknown) => err) : null;
    if (!alongside) await limit;
    refuseWritesWhileMoving(c.req.method, key.moveStatus);
    c.set('workspaceId', key.workspaceId);
    c.set('database', key.database);
    c.set('db', databaseOf(c.env, key.database));
    c.set('scopes', new Set(key.scopes));
    c.set('keyId', key.id);
    await next();
    const err = await refused;
    if (err) throw err;
  });
}

/**
 * While a workspace's rows are being copied to another database, a write to the old one would be
 * lost: anything but a read answers 503 workspace_moving (Retry-After). The status comes with the
 * key (cached up to 30 s), which is why a move waits that long before it copies (directory/move.ts).
 */
export function refuseWritesWhileMoving(method: string, moveStatus: string | null | undefined): void {
  if (method !== 'GET' && method !== 'HEAD' && isMoving(moveStatus)) throw workspaceMoving();
}

/** Operator routes (`/v1/admin/*`): the deployment's ADMIN_TOKEN, compared in constant time. */
export const requireAdminToken = createMiddleware<AppEnv>(async (c, next) => {
  const expected = c.env.ADMIN_TOKEN;
  const given = keyFromAuthorization(c.req.header('authorization'));
  if (!expected) throw unauthorized('ADMIN_TOKEN is not configured on this collector');
  if (!given || !(await constantTimeEqual(given, expected))) throw unauthorized('Invalid admin token');
  await next();
});

import { SECRET_SCOPES, type KeyKind, type Scope } from '../auth/keys';
import { badRequest } from '../http/errors';

export type KeySpec = { kind: 'write'; scopes: [] } | { kind: 'secret'; scopes: Scope[] };

/** Longest grace period a rotated key may keep working: one week, to redeploy a site. */
export const MAX_GRACE_SECONDS = 7 * 24 * 3600;

const isScope = (s: unknown): s is Scope => typeof s === 'string' && (SECRET_SCOPES as readonly string[]).includes(s);

/**
 * Reads the body of "create a key": `{kind: 'write'}` or `{kind: 'secret', scopes: ['read'|'admin', ...]}`.
 * A secret key without scopes gets `read` only (least privilege); scopes are sorted and unique.
 *
 * @example
 * parseKeyRequest({ kind: 'secret', scopes: ['admin', 'read'] }) // -> { kind: 'secret', scopes: ['admin', 'read'] }
 */
export function parseKeyRequest(body: Record<string, unknown>): KeySpec {
  const kind = body.kind as KeyKind;
  if (kind !== 'write' && kind !== 'secret') throw badRequest('invalid_field', "kind must be 'write' or 'secret'", 'kind');
  const scopes = body.scopes;
  if (kind === 'write') {
    if (scopes !== undefined && !(Array.isArray(scopes) && scopes.length === 0)) {
      throw badRequest('invalid_field', 'write keys have no scopes: they can only send events', 'scopes');
    }
    return { kind, scopes: [] };
  }
  if (scopes === undefined) return { kind, scopes: ['read'] };
  if (!Array.isArray(scopes) || scopes.length === 0 || !scopes.every(isScope)) {
    throw badRequest('invalid_field', `scopes must be a non-empty array of ${SECRET_SCOPES.join(', ')}`, 'scopes');
  }
  return { kind, scopes: [...new Set(scopes)].sort() };
}

/**
 * Reads the body of "rotate a key": `{graceSeconds?}`, how long the old key keeps working
 * (default 0: revoked at once).
 *
 * @example
 * parseRotateRequest({ graceSeconds: 3600 }) // -> { graceSeconds: 3600 }
 */
export function parseRotateRequest(body: Record<string, unknown>): { graceSeconds: number } {
  const grace = body.graceSeconds ?? 0;
  if (typeof grace !== 'number' || !Number.isInteger(grace) || grace < 0 || grace > MAX_GRACE_SECONDS) {
    throw badRequest('invalid_field', `graceSeconds must be a whole number from 0 to ${MAX_GRACE_SECONDS}`, 'graceSeconds');
  }
  return { graceSeconds: grace };
}

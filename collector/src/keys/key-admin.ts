import { nanoid } from 'nanoid';
import { forgetKeys } from '../auth/resolve';
import { generateKey, hashKey, keyPrefix, maskKey } from '../auth/keys';
import { ApiError, notFound } from '../http/errors';
import { getKey, insertKeyStatement, listKeys, revokeKeyStatement, type KeyRecord } from '../store/keys';
import { storageCall } from '../store/storage-call';
import type { KeySpec } from './key-request';

/** A key as the API shows it: never the key itself, only its first characters. */
export interface KeyView {
  id: string;
  kind: KeyRecord['kind'];
  scopes: string[];
  maskedKey: string;
  createdAt: string;
  /** When the key stopped (or, after a rotation with grace, will stop) working. */
  revokedAt: string | null;
  active: boolean;
}

export function keyView(key: KeyRecord, now = Date.now()): KeyView {
  return {
    id: key.id,
    kind: key.kind,
    scopes: key.scopes,
    maskedKey: maskKey(key.prefix),
    createdAt: new Date(key.createdAt).toISOString(),
    revokedAt: key.revokedAt === null ? null : new Date(key.revokedAt).toISOString(),
    active: key.revokedAt === null || key.revokedAt > now,
  };
}

async function newKey(workspaceId: string, spec: KeySpec, now: number) {
  const plaintext = generateKey(spec.kind);
  const record: KeyRecord = {
    id: `key_${nanoid(16)}`,
    workspaceId,
    kind: spec.kind,
    scopes: spec.scopes,
    prefix: keyPrefix(plaintext),
    createdAt: now,
    revokedAt: null,
  };
  return { plaintext, record, hash: await hashKey(plaintext) };
}

const insert = (db: D1Database, k: Awaited<ReturnType<typeof newKey>>) =>
  insertKeyStatement(db, { ...k.record, hash: k.hash, now: k.record.createdAt });

/**
 * Creates a key; the plaintext is returned once and only its SHA-256 is stored.
 *
 * @example
 * const { key, view } = await createKey(env.DB, 'ws_1', { kind: 'secret', scopes: ['read'] });
 */
export async function createKey(db: D1Database, workspaceId: string, spec: KeySpec, now = Date.now()) {
  const created = await newKey(workspaceId, spec, now);
  await storageCall(() => insert(db, created).run());
  return { key: created.plaintext, view: keyView(created.record, now) };
}

/** Every key of the workspace, masked. */
export async function listKeyViews(db: D1Database, workspaceId: string, now = Date.now()): Promise<KeyView[]> {
  return (await storageCall(() => listKeys(db, workspaceId))).map((k) => keyView(k, now));
}

async function existingKey(db: D1Database, workspaceId: string, keyId: string): Promise<KeyRecord> {
  const key = await storageCall(() => getKey(db, workspaceId, keyId));
  if (!key) throw notFound(`No key ${keyId} in this workspace`);
  return key;
}

/**
 * Revokes a key at once. This isolate forgets it immediately; other isolates within their
 * 30 s key cache (see auth/resolve.ts). Revoking a revoked key changes nothing.
 *
 * @example
 * await revokeKey(env.DB, 'ws_1', 'key_abc');
 */
export async function revokeKey(db: D1Database, workspaceId: string, keyId: string, now = Date.now()): Promise<KeyView> {
  await existingKey(db, workspaceId, keyId);
  await storageCall(() => revokeKeyStatement(db, workspaceId, keyId, now).run());
  forgetKeys();
  return keyView(await existingKey(db, workspaceId, keyId), now);
}

/**
 * Replaces a key by a new one of the same kind and scopes, in one atomic batch; the old one
 * stops working at once or after `graceSeconds` (time to redeploy a site's write key).
 *
 * @example
 * const { key } = await rotateKey(env.DB, 'ws_1', 'key_abc', 3600);
 */
export async function rotateKey(db: D1Database, workspaceId: string, keyId: string, graceSeconds: number, now = Date.now()) {
  const old = await existingKey(db, workspaceId, keyId);
  if (old.revokedAt !== null && old.revokedAt <= now) {
    throw new ApiError(409, 'key_revoked', 'This key is revoked; create a new key instead');
  }
  const spec = { kind: old.kind, scopes: old.scopes } as KeySpec;
  const created = await newKey(workspaceId, spec, now);
  await storageCall(() => db.batch([insert(db, created), revokeKeyStatement(db, workspaceId, keyId, now + graceSeconds * 1000)]));
  forgetKeys();
  return {
    key: created.plaintext,
    view: keyView(created.record, now),
    replaced: keyView(await existingKey(db, workspaceId, keyId), now),
  };
}

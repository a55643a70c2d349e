import { findActiveKeyByHash, type ActiveKey } from '../store/keys';
import { TtlCache } from '../store/ttl-cache';
import { hashKey } from './keys';

// Each ingest request needs its key checked; a per-isolate cache saves a D1 round trip on
// the hot path. A revoked key therefore keeps working for at most 30 s in other isolates that
// had it cached (documented in the README); `forgetKeys` clears this isolate at once.
const cache = new TtlCache<ActiveKey | null>(30_000);

/** The live key record for a plaintext key, or null when unknown or revoked. */
export async function resolveKey(db: D1Database, plaintext: string, now = Date.now()): Promise<ActiveKey | null> {
  const hash = await hashKey(plaintext);
  const key = await cache.get(hash, () => findActiveKeyByHash(db, hash, now), now);
  // A rotated key may carry a grace period: its revocation time can pass while it sits in the cache.
  return key && (key.revokedAt === null || key.revokedAt > now) ? key : null;
}

/** Drops every cached lookup (after a revoke or rotate). */
export function forgetKeys(): void {
  cache.clear();
}

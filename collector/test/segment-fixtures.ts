import { env } from 'cloudflare:workers';
import { hashKey, keyPrefix } from '../src/auth/keys';
import { call } from './helpers';

export const DAY = 86_400_000;
export const HOUR = 3_600_000;

export interface ProfileFixture {
  id: string;
  /** Defaults to the profile itself (a live person); set it to model a merged-away profile. */
  canonicalId?: string;
  traits?: Record<string, unknown>;
  computed?: Record<string, unknown>;
  firstSeen?: number | null;
  lastSeen?: number | null;
  eventCount?: number;
  revenue?: number;
}

/** Profile rows written directly, so tests control every trait and timestamp. */
export async function insertProfiles(workspaceId: string, profiles: ProfileFixture[]): Promise<void> {
  const now = Date.now();
  await env.DB.batch(
    profiles.map((p) =>
      env.DB.prepare(
        `INSERT INTO profiles (id, workspace_id, canonical_id, traits, computed, first_seen, last_seen, event_count, revenue, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?10)`,
      ).bind(
        p.id,
        workspaceId,
        p.canonicalId ?? p.id,
        JSON.stringify(p.traits ?? {}),
        JSON.stringify(p.computed ?? {}),
        p.firstSeen ?? null,
        p.lastSeen ?? null,
        p.eventCount ?? 0,
        p.revenue ?? 0,
        now,
      ),
    ),
  );
}

export interface EventFixture {
  profileId: string;
  event: string;
  timestamp: number;
  properties?: Record<string, unknown>;
  type?: string;
}

let seq = 0;
/** Event rows at exact past timestamps. */
export async function insertEvents(workspaceId: string, events: EventFixture[]): Promise<void> {
  await env.DB.batch(
    events.map((e) =>
      env.DB.prepare(
        `INSERT INTO events (workspace_id, message_id, type, event, profile_id, timestamp, received_at, properties)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6, ?7)`,
      ).bind(workspaceId, `fixture-${++seq}-${Math.random()}`, e.type ?? 'track', e.event, e.profileId, e.timestamp, JSON.stringify(e.properties ?? {})),
    ),
  );
}

export async function insertIdentities(workspaceId: string, rows: [profileId: string, type: string, value: string][]): Promise<void> {
  await env.DB.batch(
    rows.map(([profileId, type, value]) =>
      env.DB.prepare('INSERT INTO identities (workspace_id, type, value, profile_id, created_at) VALUES (?1, ?2, ?3, ?4, ?5)').bind(
        workspaceId,
        type,
        value,
        profileId,
        Date.now(),
      ),
    ),
  );
}

/** A secret key with only the given scopes (the admin API issues keys with every scope). */
export async function insertSecretKey(workspaceId: string, scopes: string[]): Promise<string> {
  const key = `sk_${crypto.randomUUID().replaceAll('-', '')}`;
  await env.DB.prepare(
    "INSERT INTO api_keys (id, workspace_id, kind, scopes, key_hash, prefix, created_at) VALUES (?1, ?2, 'secret', ?3, ?4, ?5, ?6)",
  )
    .bind(`key_${crypto.randomUUID()}`, workspaceId, scopes.join(' '), await hashKey(key), keyPrefix(key), Date.now())
    .run();
  return key;
}

/** Calls the API with a secret key as Bearer. */
export function api(secretKey: string, path: string, init: RequestInit & { json?: unknown } = {}) {
  return call(path, { ...init, headers: { ...(init.headers as Record<string, string>), authorization: `Bearer ${secretKey}` } });
}

/** The changes (outbox rows) of a segment, oldest first. */
export async function changesOf(workspaceId: string, segmentKey: string) {
  const { results } = await env.DB.prepare(
    'SELECT profile_id, kind, reason, merged_into, occurred_at FROM segment_changes WHERE workspace_id = ?1 AND segment_key = ?2 ORDER BY id',
  )
    .bind(workspaceId, segmentKey)
    .all<{ profile_id: string; kind: string; reason: string | null; merged_into: string | null; occurred_at: number }>();
  return results;
}

export async function membersOf(workspaceId: string, segmentKey: string): Promise<string[]> {
  const { results } = await env.DB.prepare('SELECT profile_id FROM segment_members WHERE workspace_id = ?1 AND segment_key = ?2 ORDER BY profile_id')
    .bind(workspaceId, segmentKey)
    .all<{ profile_id: string }>();
  return results.map((r) => r.profile_id);
}

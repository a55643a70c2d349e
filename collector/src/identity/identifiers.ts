import type { JsonObject } from '../../../sdk/src/contract';
import type { StoredEvent } from '../ingest/normalise';
import { normalisePhone } from './phone';

/** One identifier of a person, normalised. `type` is a built-in or a custom externalIds type. */
export interface Identifier {
  type: string;
  value: string;
}

export const BUILT_IN_TYPES = ['user_id', 'email', 'phone', 'anonymous_id'] as const;

/** Higher wins: which profile an event belongs to, and which identifiers are dropped on a conflict. */
export function identifierPriority(type: string): number {
  switch (type) {
    case 'user_id':
      return 4;
    case 'email':
      return 3;
    case 'phone':
      return 2;
    case 'anonymous_id':
      return 0;
    default:
      return 1;
  }
}

export const MAX_IDENTIFIER_LENGTH = 1024;
const CUSTOM_TYPE = /^[a-z][a-z0-9_]{0,63}$/;
const JUNK = new Set(['', 'null', 'undefined', 'anonymous', 'guest', '0', '-1', '[object object]', 'nan', 'none', 'nil', 'unknown']);

/**
 * Values that senders emit when they have no id (a template that printed `undefined`, a default of
 * 0, an all-zero UUID). Matching on them would merge every such visitor into one monster profile.
 *
 * @example
 * isJunkId('"undefined"') // -> true
 * isJunkId('00000000-0000-0000-0000-000000000000') // -> true
 * isJunkId('user-42') // -> false
 */
export function isJunkId(raw: string): boolean {
  let v = raw.trim().toLowerCase();
  while (v.length >= 2 && /^(['"`]).*\1$/.test(v)) v = v.slice(1, -1).trim();
  return JUNK.has(v) || /^[0\-]+$/.test(v);
}

/** Why an identifier was not used; each outcome is counted per workspace. */
export type IdRefusal = 'junk' | 'invalid';

export type Normalised = { ok: true; id: Identifier } | { ok: false; reason: IdRefusal };

/**
 * Normalises one identifier for matching: email trimmed and lower-cased, phone to E.164, other
 * types kept as sent (ids are case-sensitive in the systems that mint them). Junk is refused.
 *
 * @example
 * normaliseIdentifier('email', ' Ana@Example.COM ') // -> { ok: true, id: { type: 'email', value: 'ana@example.com' } }
 */
export function normaliseIdentifier(type: string, raw: unknown, defaultCountry?: string): Normalised {
  if (typeof raw === 'number' && Number.isFinite(raw)) raw = String(raw);
  if (typeof raw !== 'string') return { ok: false, reason: 'junk' };
  if (isJunkId(raw)) return { ok: false, reason: 'junk' };
  if (raw.length > MAX_IDENTIFIER_LENGTH) return { ok: false, reason: 'invalid' };
  switch (type) {
    case 'email': {
      const value = raw.trim().toLowerCase();
      return /^[^\s@]+@[^\s@]+$/.test(value) ? { ok: true, id: { type, value } } : { ok: false, reason: 'invalid' };
    }
    case 'phone': {
      const value = normalisePhone(raw, defaultCountry);
      return value ? { ok: true, id: { type, value } } : { ok: false, reason: 'invalid' };
    }
    default:
      return { ok: true, id: { type, value: raw } };
  }
}

/** The identifiers one event carries, best first, and the values refused on the way. */
export interface EventIdentifiers {
  ids: Identifier[];
  refused: { type: string; reason: IdRefusal }[];
  /** alias: the previousId, resolved by the planner (user_id if known, else anonymous_id). */
  previousId?: string;
}

const isObject = (v: unknown): v is JsonObject => v !== null && typeof v === 'object' && !Array.isArray(v);

/**
 * Reads an event's identifiers: userId, anonymousId, email and phone from the person's traits
 * (identify traits, else context.traits; never group traits, which describe the account) and
 * `context.externalIds` ([{id, type}]). Pure.
 *
 * @example
 * eventIdentifiers({ type: 'identify', userId: '42', anonymousId: 'a1', traits: { email: 'A@x.io' }, ... })
 * // -> ids: user_id:42, email:a@x.io, anonymous_id:a1
 */
export function eventIdentifiers(
  e: Pick<StoredEvent, 'type' | 'userId' | 'anonymousId' | 'previousId' | 'traits' | 'context'>,
  defaultCountry?: string,
): EventIdentifiers {
  const out: EventIdentifiers = { ids: [], refused: [] };
  const seen = new Set<string>();
  const add = (type: string, raw: unknown) => {
    if (raw === undefined) return;
    const n = normaliseIdentifier(type, raw, defaultCountry);
    if (!n.ok) {
      out.refused.push({ type, reason: n.reason });
      return;
    }
    const key = `${n.id.type}:${n.id.value}`;
    if (!seen.has(key)) {
      seen.add(key);
      out.ids.push(n.id);
    }
  };
  if (e.userId !== null) add('user_id', e.userId);
  const personTraits = e.type === 'identify' ? e.traits : isObject(e.context.traits) ? e.context.traits : null;
  if (personTraits) {
    if (personTraits.email !== undefined && personTraits.email !== null) add('email', personTraits.email);
    if (personTraits.phone !== undefined && personTraits.phone !== null) add('phone', personTraits.phone);
  }
  const external = e.context.externalIds;
  if (Array.isArray(external)) {
    for (const x of external.slice(0, 20)) {
      if (!isObject(x) || typeof x.type !== 'string') continue;
      const type = x.type.trim().toLowerCase().replace(/[\s-]+/g, '_');
      if (type === 'user_id' || type === 'anonymous_id' || !CUSTOM_TYPE.test(type)) {
        out.refused.push({ type: x.type, reason: 'invalid' });
        continue;
      }
      add(type, x.id);
    }
  }
  if (e.anonymousId !== null) add('anonymous_id', e.anonymousId);
  if (e.type === 'alias' && e.previousId !== null) {
    if (isJunkId(e.previousId)) out.refused.push({ type: 'previous_id', reason: 'junk' });
    else out.previousId = e.previousId;
  }
  out.ids.sort((a, b) => identifierPriority(b.type) - identifierPriority(a.type));
  return out;
}

export const identifierKey = (id: Identifier) => `${id.type}:${id.value}`;

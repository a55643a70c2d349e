import { ServerTiming } from '../http/server-timing';
import { inEventOrder } from '../identity/event-order';
import { eventIdentifiers, identifierKey, type EventIdentifiers, type Identifier } from '../identity/identifiers';
import { planBatch, type IdentityCaps, type Plan } from '../identity/planner';
import { timeOrderedId } from '../identity/time-ordered-id';
import { identityCapsOf } from '../settings/settings-patch';
import { eventForwardingStatement } from '../destinations/enqueue';
import { archivePlaces, objectLinesOf, type ArchivePlace } from '../archive/places';
import type { PlannedObject } from '../archive/objects';
import { deleteObjectRowsStatements } from '../store/archive-index';
import { insertEventsStatements, placeEventsStatements } from '../store/events';
import { readIdentityState } from '../store/identity-reads';
import type { Segment } from '../store/segments';
import { guardStatements, isTransientStorageError, isWriteConflict, planWriteStatements } from '../store/identity-writes';
import type { Workspace } from '../store/workspaces';
import type { StoredEvent } from './normalise';

/** Attempts before a batch that keeps losing write races is answered 503 (the sender retries). */
export const MAX_ATTEMPTS = 12;

/**
 * Full-jitter backoff between attempts: requests that collided on one hot profile spread out
 * instead of colliding again in lockstep. Capped so a request never waits long in total.
 *
 * @example
 * retryDelayMs(3, () => 0.5) // -> 8
 */
export function retryDelayMs(attempt: number, random: () => number = Math.random): number {
  return Math.floor(random() * Math.min(100, 2 ** (attempt + 1)));
}

export interface StoreOutcome {
  /** Events actually written (new messageIds). */
  stored: number;
  /**
   * The batch's events that are stored because of these very messages: written now, or written by
   * an earlier attempt of the same batch (same messageId and receive time) that crashed before the
   * inbox forgot it. Neither consent-dropped events nor resent duplicates of events stored by an
   * earlier request are here: this is what the archive takes, so each messageId is archived once.
   */
  archived: StoredEvent[];
  /** Deliveries queued for event destinations (webhook, GA4, Mixpanel, Meta) by this write. */
  forwarded: number;
  touchedProfileIds: string[];
  absorbedProfileIds: string[];
  /** The workspace's segments as read with the identity state (the real-time update needs them). */
  segments: Segment[];
}

export interface StoreOptions {
  timing?: ServerTiming;
  /**
   * Decides which events may be stored, once, after the first read: `suppressing` says whether
   * the workspace suppresses anyone (the privacy gate only hashes identifiers when it does).
   */
  screen?: (events: readonly StoredEvent[], suppressing: boolean) => Promise<readonly StoredEvent[]>;
  /** False while a rebuild replays the archive: the events were forwarded when they were first ingested. */
  forward?: boolean;
  /**
   * The R2 archive objects `archived` (the outcome's events) go to, named before the D1 write:
   * each event is stored with its place in them (archive/places.ts), so retention can index it
   * when it leaves D1. Ingest writes no index rows.
   */
  archive?: (archived: readonly StoredEvent[]) => PlannedObject[];
}

/** Identity caps of a workspace: `settings.identity.{maxIdentifiers,maxMerges}`, else the defaults. */
export function workspaceCaps(workspace: Workspace): IdentityCaps {
  return identityCapsOf(workspace.settings);
}

/**
 * Read phase -> pure plan -> one atomic write batch (guards, events with their profile_id,
 * profiles, identities, merges, accounts, counters). When the guard or an identity's unique key
 * says another request wrote first, or D1 failed in a way that passes, the whole batch rolled
 * back: re-read and re-plan.
 */
export async function resolveAndStore(
  db: D1Database,
  workspace: Workspace,
  incoming: readonly StoredEvent[],
  now: number,
  { timing = new ServerTiming(), screen, forward = true, archive }: StoreOptions = {},
): Promise<StoreOutcome> {
  const defaultCountry = workspace.settings.defaultCountry;
  const identifiers = new Map<string, Identifier>();
  const identified = new Map<StoredEvent, EventIdentifiers>();
  for (const e of incoming) {
    const found = eventIdentifiers(e, defaultCountry);
    identified.set(e, found);
    for (const id of found.ids) identifiers.set(identifierKey(id), id);
    if (found.previousId !== undefined) {
      for (const type of ['user_id', 'anonymous_id']) {
        const id = { type, value: found.previousId };
        identifiers.set(identifierKey(id), id);
      }
    }
  }
  const groupIds = [...new Set(incoming.filter((e) => e.type === 'group' && e.groupId !== null).map((e) => e.groupId!))];
  const messageIds = [...new Set(incoming.map((e) => e.messageId))];

  // Screened once; identifiers of events it drops stay in the read (harmless: nothing plans with them).
  let events: readonly StoredEvent[] | null = screen ? null : incoming;
  for (let attempt = 1; ; attempt++) {
    const read = await retrying(attempt, () =>
      timing.time('read', () => readIdentityState(db, workspace.id, { identifiers: [...identifiers.values()], groupIds, messageIds })),
    );
    if (read === RETRY) continue;
    events ??= await timing.time('screen', () => screen!(incoming, read.suppressing));
    // A messageId already stored, or repeated in this batch, is accepted but never counted twice.
    const seen = new Set(read.storedMessageIds);
    const fresh = events.filter((e) => !seen.has(e.messageId) && (seen.add(e.messageId), true));
    const isFresh = new Set(fresh);
    const archived = events.filter((e) => isFresh.has(e) || read.storedReceivedAt.get(e.messageId) === e.receivedAt);
    if (fresh.length === 0) {
      // A batch stored before (a replay after a crash): only its events' archive places to set again.
      if (archive && archived.length > 0 && (await retrying(attempt, () => db.batch(replacedStatements(db, workspace.id, archive(archived))))) === RETRY) continue;
      return { stored: 0, archived, forwarded: 0, touchedProfileIds: [...read.storedProfileIds], absorbedProfileIds: [], segments: read.segments };
    }
    // Planned in event-time order (late events do not depend on when they arrive); stored in
    // arrival order, which the live tail shows.
    const ordered = inEventOrder(fresh);
    const plan = planBatch({
      events: ordered,
      known: read.known,
      profiles: read.profiles,
      accounts: read.accounts,
      blockedPairs: read.blockedPairs,
      caps: workspaceCaps(workspace),
      defaultCountry,
      now,
      newId: (prefix) => timeOrderedId(prefix, now),
      identified,
    });
    const objects = archive?.(archived) ?? [];
    const placing = { places: archivePlaces(workspace.id, objects), replaced: archived.length === fresh.length ? [] : replacedStatements(db, workspace.id, objects) };
    const written = await retrying(attempt, () => timing.time('write', () => db.batch(writeBatch(db, workspace.id, fresh, ordered, plan, now, forward, placing))));
    if (written === RETRY) continue;
    const forwarded = written[written.length - 1]?.meta.changes ?? 0;
    const touchedProfileIds = [...new Set([...plan.touchedProfileIds, ...read.storedProfileIds])].filter((id) => !plan.absorbedProfileIds.includes(id));
    return { stored: fresh.length, archived, forwarded, touchedProfileIds, absorbedProfileIds: plan.absorbedProfileIds, segments: read.segments };
  }
}

const RETRY = Symbol('retry');

/**
 * A replayed batch (some of its events stored by an earlier attempt that crashed before the R2
 * put): the stored rows take their places in the objects as planned now (the same names, maybe
 * more lines, or other names when the batch is retried row by row), and index rows an older
 * collector wrote on ingest for these objects go (retention indexes the events from their places).
 */
function replacedStatements(db: D1Database, workspaceId: string, objects: readonly PlannedObject[]): D1PreparedStatement[] {
  const lines = objectLinesOf(workspaceId, objects);
  return [...placeEventsStatements(db, workspaceId, lines), ...deleteObjectRowsStatements(db, workspaceId, lines.map((o) => o.object))];
}

/**
 * Runs one D1 call of attempt `attempt`; on a lost write race or a transient storage error it
 * waits (jittered) and answers RETRY, so the caller re-reads and re-plans. A D1 batch is atomic,
 * so nothing of a failed attempt remains. Past MAX_ATTEMPTS, or on any other error, it throws.
 */
async function retrying<T>(attempt: number, call: () => Promise<T>): Promise<T | typeof RETRY> {
  try {
    return await call();
  } catch (err) {
    if (!(isWriteConflict(err) || isTransientStorageError(err)) || attempt >= MAX_ATTEMPTS) throw err;
    await new Promise((resolve) => setTimeout(resolve, retryDelayMs(attempt)));
    return RETRY;
  }
}

function writeBatch(
  db: D1Database,
  workspaceId: string,
  arrived: readonly StoredEvent[],
  planned: readonly StoredEvent[],
  plan: Plan,
  now: number,
  forward: boolean,
  archive: { places: Map<StoredEvent, ArchivePlace>; replaced: D1PreparedStatement[] },
): D1PreparedStatement[] {
  const profileOf = new Map(planned.map((e, i) => [e, plan.eventProfileIds[i]]));
  // Only what the outbox reads: a copy of every whole event was garbage for each batch.
  const withProfiles = arrived.map((e) => ({ messageId: e.messageId, type: e.type, event: e.event, context: e.context, profileId: profileOf.get(e) ?? null }));
  const forwarding = forward ? eventForwardingStatement(db, workspaceId, withProfiles, now) : null;
  return [
    ...guardStatements(db, workspaceId, plan),
    ...insertEventsStatements(db, workspaceId, arrived, (e) => profileOf.get(e) ?? null, (e) => archive.places.get(e)),
    // Rows an earlier attempt of this batch stored: their places in the objects as planned now (after the insert).
    ...archive.replaced,
    ...planWriteStatements(db, workspaceId, plan, now),
    // Last (its changes are the deliveries queued): the events' outbox rows for event destinations,
    // in the same transaction as the events, so every stored event is forwarded at least once.
    ...(forwarding ? [forwarding] : []),
  ];
}

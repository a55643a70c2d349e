import { Hono, type Context } from 'hono';
import { nanoid } from 'nanoid';
import { requireSecretKey } from '../auth/middleware';
import type { AppEnv } from '../env';
import { refreshMemberships, waitUntilOf } from '../segments/realtime';
import { parseJsonObject, readBodyText } from '../http/body';
import { ApiError, badRequest, notFound } from '../http/errors';
import { phase, timedRequest } from '../http/server-timing';
import { decodeCursor, parseProfileRef, profileJson } from '../identity/profile-view';
import { planForceMerge, planSplit } from '../identity/split';
import { forceMergeStatements, listMerges, loadMergeToUndo, loadTree, loadTreeEvents, loadTreeIdentities, splitStatements } from '../store/identity-admin';
import { isWriteConflict } from '../store/identity-writes';
import { canonicalIdForIdentifier, canonicalIdForProfile, getProfileRecord, type ProfileSelector } from '../store/profiles';
import { storageCall } from '../store/storage-call';
import { timelinePage, workspaceOf } from '../archive/cold-timeline';
import { getWorkspace } from '../store/workspaces';
import { refreshComputedTraits } from '../computed-traits/refresh';
import { timelineBody } from '../profile-reads/answers';
import { invalidateProfileReads, profileReadsOf } from '../profile-reads/invalidate';
import type { ReadAnswer } from '../profile-reads/profile-reads';

/**
 * Profiles read API (secret key, `read` scope; split and merge need `admin`). `{ref}` is a
 * profile id or `{type}:{value}`; an absorbed profile's id answers with its survivor.
 */
export const profileRoutes = new Hono<AppEnv>();

// Reads say where their time went (Server-Timing: key, limit, read, total, and for the cached reads
// `cache;desc=hit|miss` and on a miss `d1`, the D1 time inside the read), like ingest. A read
// spends the rate limit while it runs, not before: the two round trips overlap.
profileRoutes.use('*', timedRequest, requireSecretKey('read', { limitAlongsideReads: true }));

profileRoutes.get('/:ref', async (c) => {
  const selector = await parseRef(c, c.req.param('ref'));
  const reads = profileReadsOf(c.env, c.var.workspaceId);
  const answer = await phase(c, 'read', () => storageCall(() => reads.profile({ database: c.var.database, workspaceId: c.var.workspaceId, selector })));
  return answerRead(c, answer, 'No such profile');
});

profileRoutes.get('/:ref/events', async (c) => {
  const q = eventQuery(c);
  const selector = await parseRef(c, c.req.param('ref'));
  const ws = c.var.workspaceId;
  // The first page, unfiltered, is what a profile screen opens with: the read cache keeps it.
  // Further pages and filtered reads go to D1 (and R2 below the cold boundary) as they are.
  if (q.before === undefined && q.start === undefined && q.end === undefined && q.event === undefined) {
    const reads = profileReadsOf(c.env, ws);
    const answer = await phase(c, 'read', () => storageCall(() => reads.timeline({ database: c.var.database, workspaceId: ws, selector, limit: q.limit })));
    return answerRead(c, answer, 'No such profile');
  }
  // Hot events from D1; below the workspace's cold boundary, the person's archived ones from R2 too.
  const { canonicalId, events: rows } = await phase(c, 'read', () =>
    storageCall(() => timelinePage(c.var.db, c.env.ARCHIVE, ws, () => workspaceOf(c.env.DB, ws), selector, q)),
  );
  if (canonicalId === null) throw notFound('No such profile');
  c.get('timing')?.note('cache', 'none');
  return c.body(timelineBody(rows, q.limit), 200, { 'content-type': 'application/json' });
});

/** A read the cache answered: its body, with Server-Timing saying whether it was kept (and the D1 time of a miss). */
function answerRead(c: Context<AppEnv>, answer: ReadAnswer, missing: string) {
  const timing = c.get('timing');
  timing?.note('cache', answer.hit ? 'hit' : 'miss');
  if (!answer.hit) timing?.add('d1', answer.d1Ms);
  if (answer.body === null) throw notFound(missing);
  return c.body(answer.body, 200, { 'content-type': 'application/json' });
}

profileRoutes.get('/:ref/merges', async (c) => {
  const id = await resolveRef(c, c.req.param('ref'));
  const merges = await storageCall(() => listMerges(c.var.db, c.var.workspaceId, id));
  const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
  return c.json({ data: merges.map((m) => ({ ...m, createdAt: iso(m.createdAt), splitAt: iso(m.splitAt) })) });
});

/** Undoes a wrong merge: `{"profileId"}` names the absorbed profile to take back out (with its subtree). */
profileRoutes.post('/:ref/split', requireSecretKey('admin'), async (c) => {
  const body = parseJsonObject(await readBodyText(c.req.raw, 16 * 1024));
  if (typeof body.profileId !== 'string' || body.profileId === '') throw badRequest('invalid_field', 'profileId must be the id of a merged profile', 'profileId');
  const absorbedId = body.profileId;
  const db = c.var.db;
  const ws = c.var.workspaceId;
  const canonicalId = await resolveRef(c, c.req.param('ref'));
  const workspace = await storageCall(() => getWorkspace(c.env.DB, ws));
  await withRetry(async () => {
    const tree = await loadTree(db, ws, canonicalId);
    const absorbed = tree.find((p) => p.id === absorbedId);
    const survivor = tree.find((p) => p.id === canonicalId);
    if (!absorbed || !survivor || absorbed.id === canonicalId) throw notFound('profileId is not a profile merged into this one');
    const parentId = absorbed.mergedInto!;
    const [events, identities, merge] = await Promise.all([
      loadTreeEvents(db, ws, canonicalId),
      loadTreeIdentities(db, ws, canonicalId),
      loadMergeToUndo(db, ws, parentId, absorbedId),
    ]);
    const now = Date.now();
    const plan = planSplit({ survivor, absorbed, tree, events, identities, merge, defaultCountry: workspace?.settings.defaultCountry, now });
    await db.batch(splitStatements(db, ws, { tree, plan, parentId, now }));
  });
  // Both people are evaluated again: the split-off profile can enter segments, the survivor leave some.
  await refreshComputedTraits(db, ws, [canonicalId, absorbedId], Date.now());
  await refreshMemberships(db, ws, { touchedProfileIds: [canonicalId, absorbedId] }, Date.now(), waitUntilOf(c));
  await invalidateProfileReads(c.env, ws, { profileIds: [canonicalId, absorbedId] });
  const [left, right] = await storageCall(() => Promise.all([getProfileRecord(db, ws, canonicalId), getProfileRecord(db, ws, absorbedId)]));
  return c.json({ profiles: [left, right].filter((r) => r !== null).map(profileJson) });
});

/** Merges on purpose, past the automatic guards: `{"from": ref}` is absorbed into `{ref}`. */
profileRoutes.post('/:ref/merge', requireSecretKey('admin'), async (c) => {
  const body = parseJsonObject(await readBodyText(c.req.raw, 16 * 1024));
  if (typeof body.from !== 'string' || body.from === '') throw badRequest('invalid_field', 'from must be a profile reference', 'from');
  const db = c.var.db;
  const ws = c.var.workspaceId;
  const survivorId = await resolveRef(c, c.req.param('ref'));
  const absorbedId = await resolveRef(c, body.from, 'from');
  if (survivorId === absorbedId) throw new ApiError(409, 'already_merged', 'Both references are the same profile');
  await withRetry(async () => {
    const [a, b] = await Promise.all([getProfileRecord(db, ws, survivorId), getProfileRecord(db, ws, absorbedId)]);
    if (!a || !b) throw notFound('No such profile');
    const now = Date.now();
    const planned = planForceMerge(a.state, b.state, now);
    const record = { id: `mrg_${nanoid(16)}`, survivorId, absorbedId, reason: 'force' as const, cause: null, causeMessageId: null };
    await db.batch(forceMergeStatements(db, ws, { read: [a.state, b.state], ...planned, record, now }));
  });
  await refreshComputedTraits(db, ws, [survivorId, absorbedId], Date.now());
  await refreshMemberships(db, ws, { touchedProfileIds: [survivorId], absorbedProfileIds: [absorbedId] }, Date.now(), waitUntilOf(c));
  await invalidateProfileReads(c.env, ws, { profileIds: [survivorId, absorbedId] });
  const record = await storageCall(() => getProfileRecord(db, ws, survivorId));
  return c.json(profileJson(record!));
});

async function parseRef(c: Context<AppEnv>, ref: string, field = 'ref'): Promise<ProfileSelector> {
  // A phone is read with the workspace's default country, exactly as ingest read it (a number
  // without + can be national or international depending on it); other refs need no read.
  const workspace = ref.startsWith('phone:') ? await storageCall(() => getWorkspace(c.env.DB, c.var.workspaceId)) : null;
  const parsed = parseProfileRef(ref, workspace?.settings.defaultCountry);
  if (parsed.kind === 'invalid') throw badRequest('invalid_ref', parsed.message, field);
  return parsed;
}

/** The canonical profile id of a `{ref}` (a profile id or `type:value`); 400 if malformed, 404 if unknown. */
export async function resolveRef(c: Context<AppEnv>, ref: string, field = 'ref'): Promise<string> {
  const db = c.var.db;
  const ws = c.var.workspaceId;
  const found = await parseRef(c, ref, field);
  const id = await storageCall(() =>
    found.kind === 'id' ? canonicalIdForProfile(db, ws, found.id) : canonicalIdForIdentifier(db, ws, found.id),
  );
  if (!id) throw notFound('No such profile');
  return id;
}

function eventQuery(c: Context<AppEnv>) {
  // Parsed once: each c.req.query(name) walks the URL again, and this runs on every timeline read.
  const query: Partial<Record<string, string>> = c.req.query();
  const limitText = query.limit;
  const limit = limitText === undefined ? 50 : Number(limitText);
  if (!Number.isInteger(limit) || limit < 1 || limit > 100) throw badRequest('invalid_field', 'limit must be an integer from 1 to 100', 'limit');
  const time = (name: 'start' | 'end') => {
    const v = query[name];
    if (v === undefined) return undefined;
    const ms = Date.parse(v);
    if (Number.isNaN(ms)) throw badRequest('invalid_field', `${name} must be an ISO 8601 date`, name);
    return ms;
  };
  const cursorText = query.cursor;
  const decoded = cursorText === undefined ? undefined : decodeCursor(cursorText);
  if (decoded === null) throw badRequest('invalid_cursor', 'cursor is not one this API returned', 'cursor');
  if (decoded === 'outdated') {
    throw badRequest('invalid_cursor', 'cursor was made by an older version of this API; request the first page again (cursors now survive workspace moves)', 'cursor');
  }
  const before = decoded;
  const event = query.event;
  if (event !== undefined && (event === '' || event.length > 1024)) throw badRequest('invalid_field', 'event must be an event name', 'event');
  return { limit, start: time('start'), end: time('end'), before, event };
}

/** A split or force-merge that loses a write race to ingest re-reads and tries again. */
async function withRetry(fn: () => Promise<void>): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await storageCall(async () => {
        try {
          await fn();
        } catch (err) {
          if (isWriteConflict(err)) throw new ApiError(409, 'conflict', 'The profile changed while it was being updated; retry');
          throw err;
        }
      });
    } catch (err) {
      if (!(err instanceof ApiError) || err.code !== 'conflict' || attempt >= 4) throw err;
    }
  }
}

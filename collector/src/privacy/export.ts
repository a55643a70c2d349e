import { profileJson } from '../identity/profile-view';
import { indexedLines } from '../archive/cold-index';
import { pullStream } from '../archive/export-stream';
import { fromArchiveLine } from '../archive/line';
import { positionKey } from '../archive/timeline-merge';
import { erasedFilter } from '../archive/tombstones';
import type { StoredEvent } from '../ingest/normalise';
import { specFields } from '../ingest/spec-fields';
import { coldBefore, personIndexRows } from '../store/archive-index';
import type { Person } from '../store/person-data';
import { existingTables, personEventsPage, personMemberships, storedEventOf } from '../store/person-data';
import { getProfileRecord } from '../store/profiles';
import { storageCall } from '../store/storage-call';

const PAGE = 500;
/** A stored event as the export shows it: the Spec's fields, every one present, and the profile it was stored under. */
export const eventJson = (e: StoredEvent, profileId: string | null) => ({ ...specFields(e), profileId });

/** Where the person's archived (cold) events are: the R2 archive and the workspace (for its erasure filter). */
export interface ColdSource {
  bucket: R2Bucket;
  workspace: { id: string; settings: { defaultCountry?: string } };
}

/**
 * The person's data as one JSON document: profile, identities, consent, segment memberships and
 * every event: those in D1, then those retention moved to the R2 archive (found through the
 * per-person index, below the workspace's cold boundary, each once). Events are read and written
 * page by page (object by object), so a long history never has to fit in the Worker's memory.
 *
 * @example
 * return new Response(await exportPerson(env.DB, 'ws_1', person, { bucket: env.ARCHIVE, workspace }), { headers: { 'content-type': 'application/json' } });
 */
export async function exportPerson(db: D1Database, workspaceId: string, person: Person, cold: ColdSource | null, now = Date.now()): Promise<ReadableStream<Uint8Array>> {
  const [record, tables, boundary] = await storageCall(() => Promise.all([getProfileRecord(db, workspaceId, person.canonicalId), existingTables(db), coldBefore(db, workspaceId)]));
  const segments = await storageCall(() => personMemberships(db, workspaceId, person, tables));
  const profile = record ? profileJson(record) : null;
  const head = {
    exportedAt: new Date(now).toISOString(),
    profile,
    identities: person.identifiers,
    consent: record?.state.consent ?? {},
    mergedProfileIds: person.profileIds.filter((id) => id !== person.canonicalId),
    segments,
  };
  async function* body(): AsyncGenerator<string> {
    yield `${JSON.stringify(head).slice(0, -1)},"events":[`;
    let separator = '';
    // D1's events below the cold boundary may be in the archive too: listed once.
    const inD1 = new Set<string>();
    for (let afterSeq = 0; ; ) {
      const rows = await storageCall(() => personEventsPage(db, workspaceId, person, afterSeq, PAGE));
      if (rows.length > 0) {
        yield separator + rows.map((r) => JSON.stringify(eventJson(storedEventOf(r), r.profile_id))).join(',');
        separator = ',';
        afterSeq = rows[rows.length - 1].seq;
        if (boundary !== null) for (const r of rows) if (r.timestamp < boundary) inD1.add(positionKey({ timestamp: r.timestamp, messageId: r.message_id }));
      }
      if (rows.length < PAGE) break;
    }
    if (cold && boundary !== null) {
      const rows = await storageCall(() => personIndexRows(db, workspaceId, { profileIds: person.profileIds }, { below: boundary }));
      const keep = rows.length > 0 ? await erasedFilter(db, cold.workspace) : null;
      for await (const { line, profileId } of indexedLines(cold.bucket, workspaceId, rows)) {
        const key = positionKey({ timestamp: Date.parse(line.timestamp), messageId: line.messageId });
        if (Date.parse(line.timestamp) >= boundary || inD1.has(key) || (keep && !(await keep(line)))) continue;
        inD1.add(key);
        yield separator + JSON.stringify(eventJson(fromArchiveLine(line), profileId));
        separator = ',';
      }
    }
    yield ']}';
  }
  return pullStream(body());
}

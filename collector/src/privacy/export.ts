import { profileJson } from '../identity/profile-view';
import type { EventRow, Person } from '../store/person-data';
import { existingTables, personEventsPage, personMemberships } from '../store/person-data';
import { getProfileRecord } from '../store/profiles';
import { storageCall } from '../store/storage-call';

const PAGE = 500;
const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
const parsed = (text: string | null) => (text === null ? null : JSON.parse(text));

/** A stored event as the export shows it: the Spec's field names, ISO times. */
export function eventJson(r: EventRow) {
  return {
    messageId: r.message_id,
    type: r.type,
    event: r.event,
    name: r.name,
    userId: r.user_id,
    anonymousId: r.anonymous_id,
    groupId: r.group_id,
    previousId: r.previous_id,
    profileId: r.profile_id,
    timestamp: iso(r.timestamp),
    originalTimestamp: iso(r.original_timestamp),
    sentAt: iso(r.sent_at),
    receivedAt: iso(r.received_at),
    properties: parsed(r.properties),
    traits: parsed(r.traits),
    context: parsed(r.context),
    integrations: parsed(r.integrations),
  };
}

/**
 * The person's data as one JSON document: profile, identities, consent, segment memberships and
 * every event. Events are read and written page by page, so a long history never has to fit in
 * the Worker's memory at once.
 *
 * @example
 * return new Response(await exportPerson(env.DB, 'ws_1', person), { headers: { 'content-type': 'application/json' } });
 */
export async function exportPerson(db: D1Database, workspaceId: string, person: Person, now = Date.now()): Promise<ReadableStream<Uint8Array>> {
  const [record, tables] = await storageCall(() => Promise.all([getProfileRecord(db, workspaceId, person.canonicalId), existingTables(db)]));
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
  const encoder = new TextEncoder();
  let afterSeq = 0;
  let first = true;
  let done = false;
  return new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(encoder.encode(`${JSON.stringify(head).slice(0, -1)},"events":[`));
    },
    async pull(controller) {
      if (done) return;
      const rows = await personEventsPage(db, workspaceId, person, afterSeq, PAGE);
      const parts = rows.map((r) => JSON.stringify(eventJson(r)));
      if (parts.length > 0) {
        controller.enqueue(encoder.encode(`${first ? '' : ','}${parts.join(',')}`));
        first = false;
        afterSeq = rows[rows.length - 1].seq;
      }
      if (rows.length < PAGE) {
        done = true;
        controller.enqueue(encoder.encode(']}'));
        controller.close();
      }
    },
  });
}

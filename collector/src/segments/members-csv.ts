import { listMembers, type Member } from '../store/members';

const PAGE = 1000;
const HEADER = 'profileId,enteredAt,userId,email,phone,identities\n';

/** RFC 4180 quoting: a field with a comma, quote or line break is quoted, quotes doubled. */
export function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}

/**
 * One CSV line per member. The first user_id, email and phone get their own columns (what an
 * ad platform or a messaging tool asks for); every identity is in the last, as `type:value`
 * separated by spaces.
 *
 * @example
 * memberCsvLine({ profileId: 'p1', enteredAt: 0, identities: [{ type: 'email', value: 'a@b.c' }] })
 * // 'p1,1970-01-01T00:00:00.000Z,,a@b.c,,email:a@b.c\n'
 */
export function memberCsvLine(m: Member): string {
  const first = (type: string) => m.identities.find((i) => i.type === type)?.value ?? '';
  const all = m.identities.map((i) => `${i.type}:${i.value}`).join(' ');
  return [m.profileId, new Date(m.enteredAt).toISOString(), first('user_id'), first('email'), first('phone'), all].map(csvField).join(',') + '\n';
}

/** Streams every member page by page, so a large segment never sits in memory at once. */
export function membersCsv(db: D1Database, workspaceId: string, segmentKey: string): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  let after: string | undefined;
  let started = false;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (!started) {
        started = true;
        controller.enqueue(encoder.encode(HEADER));
      }
      const page = await listMembers(db, workspaceId, segmentKey, { limit: PAGE, after });
      if (page.length > 0) controller.enqueue(encoder.encode(page.map(memberCsvLine).join('')));
      if (page.length < PAGE) controller.close();
      else after = page[page.length - 1].profileId;
    },
  });
}

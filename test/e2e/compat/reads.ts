// Reads for the compatibility end-to-end tests: what a library sent (as the proxy saw it) and what
// the collector made of it (D1 and the read API), polled because ingest may resolve behind its answer.
import { eventually, sql, type Harness } from '../harness';
import type { SeenRequest } from './failing-proxy';

interface SentMessage {
  messageId: string;
  type: string;
}

/** Every message in the ingest requests a library made (single messages and batches), by messageId. */
export function sentMessages(seen: readonly SeenRequest[]): Map<string, SentMessage> {
  const out = new Map<string, SentMessage>();
  for (const r of seen) {
    if (r.method !== 'POST' || !r.body) continue;
    const body = JSON.parse(r.body) as { batch?: SentMessage[] } & SentMessage;
    for (const m of Array.isArray(body.batch) ? body.batch : [body]) if (m.messageId) out.set(m.messageId, { messageId: m.messageId, type: m.type });
  }
  return out;
}

/** The proxy's answered ingest requests to paths matching `pattern`, in arrival order (one still waiting for the collector is left out). */
export const posts = (seen: readonly SeenRequest[], pattern: RegExp) => seen.filter((r) => r.method === 'POST' && r.status !== 0 && pattern.test(r.path));

/** The ids in a request body (a single message or a batch). */
export const messageIdsOf = (r: SeenRequest) => [...sentMessages([r]).keys()].sort();

export function compatReads(h: Harness) {
  /** How many times each of `ids` is stored, once every one is there (or the deadline passes). */
  const storedTimes = async (ids: string[]) =>
    eventually(async () => {
      const rows = await h.query<{ message_id: string; n: number }>(
        `SELECT message_id, count(*) AS n FROM events WHERE workspace_id = ${sql(h.workspace.id)} AND message_id IN (${ids.map(sql).join(',')}) GROUP BY message_id`,
      );
      return rows.length === ids.length ? Object.fromEntries(rows.map((r) => [r.message_id, r.n])) : null;
    });

  /** Types of the events stored with this anonymous id, counted. */
  const typesOf = async (anonymousId: string) => {
    const rows = await h.query<{ type: string; n: number }>(
      `SELECT type, count(*) AS n FROM events WHERE workspace_id = ${sql(h.workspace.id)} AND anonymous_id = ${sql(anonymousId)} GROUP BY type ORDER BY type`,
    );
    return Object.fromEntries(rows.map((r) => [r.type, r.n]));
  };

  const read = async <T>(path: string): Promise<T | null> => {
    const res = await fetch(`${h.collector.url}${path}`, { headers: { authorization: `Bearer ${h.workspace.secretKey}` } });
    return res.status === 200 ? ((await res.json()) as T) : null;
  };

  type Profile = { id: string; traits: Record<string, unknown>; identities: { type: string; value: string }[]; accounts: { groupId: string; traits: Record<string, unknown> }[] };
  /** The profile of `ref` once `accept` holds for it. */
  const profileWhen = (ref: string, accept: (p: Profile) => boolean) =>
    eventually(async () => {
      const p = await read<Profile>(`/v1/profiles/${encodeURIComponent(ref)}`);
      return p && accept(p) ? p : null;
    });

  /** The account `groupId` once it has members. */
  const accountWhen = (groupId: string) =>
    eventually(async () => {
      const a = await read<{ groupId: string; traits: Record<string, unknown>; members: string[] }>(`/v1/accounts/${encodeURIComponent(groupId)}`);
      return a && a.members.length > 0 ? a : null;
    });

  return { storedTimes, typesOf, profileWhen, accountWhen };
}

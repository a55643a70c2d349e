import { Params } from '../segments/params';

export interface Identity {
  type: string;
  value: string;
}

export interface Member {
  profileId: string;
  enteredAt: number;
  identities: Identity[];
}

interface MemberRow {
  profile_id: string;
  entered_at: number;
  identities: string | null;
}

// A person's identities are those of every profile merged into it (canonical_id = the person).
const IDENTITIES_OF = (profileExpr: string) => `(SELECT json_group_array(json_object('type', i.type, 'value', i.value))
  FROM profiles ip JOIN identities i ON i.profile_id = ip.id
  WHERE ip.workspace_id = ?1 AND ip.canonical_id = ${profileExpr})`;

/**
 * One page of a segment's members in profile id order; `after` is the last profile id of the
 * previous page (the cursor), so pages stay stable while members come and go.
 */
export async function listMembers(
  db: D1Database,
  workspaceId: string,
  segmentKey: string,
  page: { limit: number; after?: string },
): Promise<Member[]> {
  const { results } = await db
    .prepare(
      `SELECT m.profile_id, m.entered_at, ${IDENTITIES_OF('m.profile_id')} AS identities
       FROM segment_members m
       WHERE m.workspace_id = ?1 AND m.segment_key = ?2 AND m.profile_id > ?3
       ORDER BY m.profile_id LIMIT ?4`,
    )
    .bind(workspaceId, segmentKey, page.after ?? '', page.limit)
    .all<MemberRow>();
  return results.map((r) => ({
    profileId: r.profile_id,
    enteredAt: r.entered_at,
    identities: r.identities ? (JSON.parse(r.identities) as Identity[]) : [],
  }));
}

/** The segments a (canonical) profile belongs to, by key. */
export async function segmentsOfProfile(
  db: D1Database,
  workspaceId: string,
  profileId: string,
): Promise<{ key: string; enteredAt: number }[]> {
  const { results } = await db
    .prepare('SELECT segment_key, entered_at FROM segment_members WHERE workspace_id = ?1 AND profile_id = ?2 ORDER BY segment_key')
    .bind(workspaceId, profileId)
    .all<{ segment_key: string; entered_at: number }>();
  return results.map((r) => ({ key: r.segment_key, enteredAt: r.entered_at }));
}

export interface ProfileSample {
  id: string;
  traits: Record<string, unknown>;
  firstSeen: number | null;
  lastSeen: number | null;
  eventCount: number;
  revenue: number;
}

/** Preview of a condition: how many canonical profiles match and a few of them, most recently seen first. */
export async function previewCondition(
  db: D1Database,
  workspaceId: string,
  condition: (params: Params) => string,
  sampleSize: number,
): Promise<{ size: number; sample: ProfileSample[] }> {
  const params = new Params();
  const where = `p.workspace_id = ${params.add(workspaceId)} AND p.id = p.canonical_id AND ${condition(params)}`;
  const whereValues = [...params.values];
  const limit = params.add(sampleSize);
  type Row = { id: string; traits: string; first_seen: number | null; last_seen: number | null; event_count: number; revenue: number };
  const [count, sample] = await db.batch<unknown>([
    db.prepare(`SELECT count(*) AS n FROM profiles p WHERE ${where}`).bind(...whereValues),
    db
      .prepare(
        `SELECT p.id, p.traits, p.first_seen, p.last_seen, p.event_count, p.revenue FROM profiles p WHERE ${where}
         ORDER BY p.last_seen DESC, p.id LIMIT ${limit}`,
      )
      .bind(...params.values),
  ]);
  return {
    size: (count.results[0] as { n: number }).n,
    sample: (sample.results as Row[]).map((r) => ({
      id: r.id,
      traits: JSON.parse(r.traits) as Record<string, unknown>,
      firstSeen: r.first_seen,
      lastSeen: r.last_seen,
      eventCount: r.event_count,
      revenue: r.revenue,
    })),
  };
}

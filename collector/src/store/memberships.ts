import { Params } from '../segments/params';

export interface MembershipRun {
  workspaceId: string;
  segmentKey: string;
  /** Unique per segment per evaluation: tags scratch rows and the changes written by this run. */
  runId: string;
  now: number;
  /** Canonical profile ids to re-evaluate; undefined means every profile of the workspace. */
  profileIds?: readonly string[];
  /** Writes the segment's condition as SQL over the profile row `p`, adding its values to `params`. */
  condition: (params: Params) => string;
}

/**
 * The statements that bring one segment's membership up to date, meant to run inside one
 * `db.batch()` (a transaction) so that the membership change, its outbox rows and their
 * fan-out to destinations commit together or not at all:
 *
 * 1. the matching profiles go to a scratch table (the condition runs once);
 * 2. `entered` changes for matches that are not members yet;
 * 3. `exited` changes for members in scope that no longer match, including profiles merged into
 *    another one (reason `merged`) or gone (`profile_gone`);
 * 4. exits are deleted, 5. entries inserted (entered_at is kept for members who stay);
 * then `finishRunsStatements` (once for every run of the batch): the runs' changes fan out to the
 * workspace's destinations as pending deliveries, and the scratch rows go.
 *
 * Because entries and exits are decided against the stored membership inside the same
 * transaction, a change is written once however many evaluations overlap: enter once, exit once.
 * Statement 2's and 3's `meta.changes` are the numbers of entries and exits.
 */
export function membershipRunStatements(db: D1Database, run: MembershipRun): D1PreparedStatement[] {
  const fill = new Params();
  const [run1, ws1] = [fill.add(run.runId), fill.add(run.workspaceId)];
  const scoped = run.profileIds ? ` AND p.id IN (SELECT value FROM json_each(${fill.add(JSON.stringify(run.profileIds))}))` : '';
  const fillSql = `INSERT INTO segment_eval_scratch (run_id, profile_id)
    SELECT ${run1}, p.id FROM profiles p
    WHERE p.workspace_id = ${ws1} AND p.id = p.canonical_id${scoped} AND ${run.condition(fill)}`;

  // ?1 run, ?2 workspace, ?3 segment, ?4 now, ?5 scope (JSON array of canonical ids)
  const base = [run.runId, run.workspaceId, run.segmentKey, run.now];
  const withScope = run.profileIds ? [...base, JSON.stringify(run.profileIds)] : base;
  // Members in scope: the touched profiles and every profile merged into them. One IN over a
  // UNION (not two INs joined by OR) so SQLite looks the few ids up in the membership index
  // instead of scanning every member of the segment (measured: 0.8 ms vs 120 ms at 50k members).
  const memberScope = run.profileIds
    ? ` AND m.profile_id IN (SELECT value FROM json_each(?5)
         UNION SELECT id FROM profiles WHERE workspace_id = ?2 AND canonical_id IN (SELECT value FROM json_each(?5)))`
    : '';
  const stillMatches = 'EXISTS (SELECT 1 FROM segment_eval_scratch s WHERE s.run_id = ?1 AND s.profile_id = m.profile_id)';

  return [
    db.prepare(fillSql).bind(...fill.values),
    db
      .prepare(
        `INSERT INTO segment_changes (workspace_id, run_id, segment_key, profile_id, kind, occurred_at)
         SELECT ?2, ?1, ?3, s.profile_id, 'entered', ?4 FROM segment_eval_scratch s
         WHERE s.run_id = ?1 AND NOT EXISTS (
           SELECT 1 FROM segment_members m WHERE m.workspace_id = ?2 AND m.segment_key = ?3 AND m.profile_id = s.profile_id)`,
      )
      .bind(...base),
    db
      .prepare(
        `INSERT INTO segment_changes (workspace_id, run_id, segment_key, profile_id, kind, reason, merged_into, occurred_at)
         SELECT ?2, ?1, ?3, m.profile_id, 'exited',
           CASE WHEN pr.id IS NULL THEN 'profile_gone' WHEN pr.canonical_id <> pr.id THEN 'merged' ELSE 'no_longer_matches' END,
           CASE WHEN pr.canonical_id <> pr.id THEN pr.canonical_id END, ?4
         FROM segment_members m LEFT JOIN profiles pr ON pr.id = m.profile_id
         WHERE m.workspace_id = ?2 AND m.segment_key = ?3${memberScope} AND NOT ${stillMatches}`,
      )
      .bind(...withScope),
    db
      .prepare(`DELETE FROM segment_members AS m WHERE m.workspace_id = ?2 AND m.segment_key = ?3${memberScope} AND NOT ${stillMatches}`)
      .bind(...(run.profileIds ? withScope : [run.runId, run.workspaceId, run.segmentKey])),
    db
      .prepare(
        `INSERT INTO segment_members (workspace_id, segment_key, profile_id, entered_at)
         SELECT ?2, ?3, profile_id, ?4 FROM segment_eval_scratch WHERE run_id = ?1
         ON CONFLICT DO NOTHING`,
      )
      .bind(...base),
  ];
}

/**
 * Closes the runs of one batch, after their membership statements: fan-out of their changes to
 * destinations, then their scratch rows. Shared by all the segments of a batch (fewer statements
 * per ingest).
 */
export function finishRunsStatements(db: D1Database, runIds: readonly string[], now: number, notify = true): D1PreparedStatement[] {
  const runs = JSON.stringify(runIds);
  return [
    // A rebuild re-derives memberships people already had: their changes are recorded, not sent.
    ...(notify ? [fanOutStatement(db, runs, now)] : []),
    db.prepare('DELETE FROM segment_eval_scratch WHERE run_id IN (SELECT value FROM json_each(?1))').bind(runs),
  ];
}

/**
 * A deleted segment: every member exits (reason `segment_deleted`), the exits fan out to
 * destinations, memberships go. Run in the same batch as the segment row's deletion.
 */
export function segmentDeletionStatements(
  db: D1Database,
  workspaceId: string,
  segmentKey: string,
  runId: string,
  now: number,
): D1PreparedStatement[] {
  return [
    db
      .prepare(
        `INSERT INTO segment_changes (workspace_id, run_id, segment_key, profile_id, kind, reason, occurred_at)
         SELECT ?2, ?1, ?3, profile_id, 'exited', 'segment_deleted', ?4 FROM segment_members
         WHERE workspace_id = ?2 AND segment_key = ?3`,
      )
      .bind(runId, workspaceId, segmentKey, now),
    fanOutStatement(db, JSON.stringify([runId]), now),
    db.prepare('DELETE FROM segment_members WHERE workspace_id = ?1 AND segment_key = ?2').bind(workspaceId, segmentKey),
  ];
}

/**
 * One pending delivery per change of the runs (a JSON array of run ids) and per destination that
 * asked for it. Event destinations list no segment events, so they match nothing here. A
 * destination with a consent category only gets people whose profile grants it; a WhatsApp
 * destination only people with a phone (an identity, or a `phone` trait).
 */
function fanOutStatement(db: D1Database, runIds: string, now: number): D1PreparedStatement {
  return db
    .prepare(
      `INSERT INTO webhook_deliveries (workspace_id, destination_id, change_id, segment_key, profile_id, next_attempt_at, created_at)
       SELECT c.workspace_id, d.id, c.id, c.segment_key, c.profile_id, ?2, ?2
       FROM segment_changes c JOIN destinations d ON d.workspace_id = c.workspace_id
       WHERE c.run_id IN (SELECT value FROM json_each(?1))
         AND EXISTS (SELECT 1 FROM json_each(d.events) WHERE value = 'segment.' || c.kind)
         AND (d.segments IS NULL OR EXISTS (SELECT 1 FROM json_each(d.segments) WHERE value = c.segment_key))
         AND (d.consent_category IS NULL OR EXISTS (SELECT 1 FROM profiles cp WHERE cp.id = c.profile_id
               AND json_extract(cp.consent, '$."' || d.consent_category || '".granted') = 1))
         AND (d.kind <> 'whatsapp'
           OR EXISTS (SELECT 1 FROM profiles ip JOIN identities i ON i.profile_id = ip.id
                WHERE ip.workspace_id = c.workspace_id AND ip.canonical_id = c.profile_id AND i.type = 'phone')
           OR EXISTS (SELECT 1 FROM profiles tp WHERE tp.id = c.profile_id AND json_type(tp.traits, '$.phone') = 'text'))
       ORDER BY c.id`,
    )
    .bind(runIds, now);
}

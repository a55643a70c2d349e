import { forgetKeys } from '../auth/resolve';
import { forgetWorkspaces } from '../auth/write-key';
import type { Env } from '../env';
import { deleteRows, idRange, insertRowsStatements, keyOf, readRows, reserveIds, type KeyValues } from '../store/move-rows';
import { MOVED_TABLES, type MovedTable } from '../store/move-tables';
import { flipWorkspaceDatabase, setWorkspaceMove, type WorkspaceMove } from '../store/workspaces';
import { databaseOf } from './databases';

/** A move as the workspace's inbox keeps it in its own storage: enough to resume after a crash. */
export interface MoveState {
  workspaceId: string;
  from: string;
  to: string;
  startedAt: number;
  phase: 'waiting' | 'copying' | 'cleaning' | 'done' | 'failed';
  /** When the copy may start: every cache that predates the move has expired by then. */
  copyAfter: number;
  /** When the old copy may go: every cache that predates the flip has expired by then. */
  cleanAfter: number;
  /** The table being copied (or cleaned), an index into MOVED_TABLES. */
  table: number;
  /** Whether this table's leftovers in the target are gone and its id range is reserved. */
  tableReady: boolean;
  /** The key of the last row copied of this table. */
  after: KeyValues | null;
  /** Per id table, what the copy adds to its ids. */
  offsets: Record<string, number>;
  rowsCopied: number;
  failures: number;
  error?: string;
  finishedAt?: number;
}

/** What the inbox lends a move: where its state is saved, and a wait for the resolver's background work. */
export interface MoveIo {
  save(m: MoveState): void;
  settle(): Promise<void>;
  /** Test seam: after a chunk is written, before its cursor is saved. */
  afterChunk?(): void;
}

/** What the inbox does next: drain ingest as usual, or hold it and come back (after `waitMs`). */
export type MoveTurn = { drain: true; more: boolean } | { drain: false; waitMs: number };

/**
 * How long writes are refused before the copy starts, and how long the old copy is kept after the
 * flip: the 30 s that a key (and the database it names) stays cached per isolate, plus time for a
 * request that read it to finish. MOVE_GRACE_MS overrides it (the tests use 0, in one isolate).
 */
export const DEFAULT_MOVE_GRACE_MS = 45_000;
const CHUNK_ROWS = 200;
/** Chunks per turn: each is two queries, and one invocation may make 1,000. */
const CHUNKS_PER_TURN = 100;
const MAX_FAILURES = 5;

export const graceMs = (env: Pick<Env, 'MOVE_GRACE_MS'>) => {
  const value = Number(env.MOVE_GRACE_MS);
  return env.MOVE_GRACE_MS !== undefined && Number.isFinite(value) && value >= 0 ? value : DEFAULT_MOVE_GRACE_MS;
};

/** A new move, waiting for the caches to expire. */
export function newMove(workspaceId: string, from: string, to: string, now: number, grace: number): MoveState {
  return { workspaceId, from, to, startedAt: now, phase: 'waiting', copyAfter: now + grace, cleanAfter: 0, table: 0, tableReady: false, after: null, offsets: {}, rowsCopied: 0, failures: 0 };
}

/** How the directory shows a move (`GET /v1/admin/workspaces/{id}` as `move`). */
export function moveView(m: MoveState): WorkspaceMove {
  const status = m.phase;
  return {
    status,
    from: m.from,
    to: m.to,
    startedAt: m.startedAt,
    rowsCopied: m.rowsCopied,
    ...(status === 'copying' ? { table: MOVED_TABLES[m.table]?.table } : {}),
    ...(m.finishedAt ? { finishedAt: m.finishedAt } : {}),
    ...(m.error ? { error: m.error } : {}),
  };
}

/**
 * Moves a workspace's rows from one database to another, a turn at a time, driven by the
 * workspace's inbox (the single writer of its ingest, which holds ingest while the rows move):
 * waiting (writes refused, caches expire) -> copying (table by table, in chunks, each chunk's
 * cursor saved after it is written, so a crash repeats at most one chunk, which is written again
 * with no effect) -> flip (the directory names the new database; ingest drains into it) ->
 * cleaning (the old rows go once no cache can still read them) -> done. A move that keeps failing
 * is given up ('failed'): the workspace stays where it was.
 *
 * @example
 * const turn = await moveTurn(env, state, { save, settle }, deadline);
 */
export async function moveTurn(env: Env, m: MoveState, io: MoveIo, deadline: number): Promise<MoveTurn> {
  const { save } = io;
  const now = Date.now();
  if (m.phase === 'done' || m.phase === 'failed') return { drain: true, more: false };
  if (m.phase === 'waiting' && now < m.copyAfter) return { drain: false, waitMs: m.copyAfter - now };
  if (m.phase === 'cleaning' && now < m.cleanAfter) return { drain: true, more: false };
  const directory = env.DB;
  try {
    if (m.phase === 'waiting') {
      // Work the resolver handed to waitUntil (membership webhooks, forwarding) finishes on the old database first.
      await io.settle();
      m.phase = 'copying';
      save(m);
      await setWorkspaceMove(directory, m.workspaceId, moveView(m));
    }
    if (m.phase === 'copying') {
      await copySome(env, m, io, deadline);
      if (m.table >= MOVED_TABLES.length) {
        // The directory first: until it names the new database, nothing may drain (a crash here flips again on resume).
        const flipped: MoveState = { ...m, phase: 'cleaning', table: 0, cleanAfter: Date.now() + graceMs(env) };
        await flipWorkspaceDatabase(directory, m.workspaceId, m.to, moveView(flipped));
        Object.assign(m, flipped);
        save(m);
        // This isolate sees the new database at once; others within the key cache's 30 s, while the old copy stays.
        forgetKeys();
        forgetWorkspaces();
        return { drain: true, more: m.cleanAfter <= Date.now() };
      }
      await setWorkspaceMove(directory, m.workspaceId, moveView(m));
      return { drain: false, waitMs: 0 };
    }
    // cleaning, due
    const source = databaseOf(env, m.from);
    for (let chunks = 0; chunks < CHUNKS_PER_TURN && m.table < MOVED_TABLES.length && Date.now() < deadline; chunks++) {
      if ((await deleteRows(source, MOVED_TABLES[m.table], m.workspaceId, CHUNK_ROWS * 5)) === 0) m.table++;
      save(m);
    }
    if (m.table >= MOVED_TABLES.length) {
      m.phase = 'done';
      m.finishedAt = Date.now();
      save(m);
      await setWorkspaceMove(directory, m.workspaceId, moveView(m));
      return { drain: true, more: false };
    }
    return { drain: true, more: true };
  } catch (err) {
    return failed(env, m, save, err);
  }
}

/** Copies chunks until the turn's budget is spent or every table is copied. */
async function copySome(env: Env, m: MoveState, io: MoveIo, deadline: number): Promise<void> {
  const { save } = io;
  const source = databaseOf(env, m.from);
  const target = databaseOf(env, m.to);
  for (let chunks = 0; chunks < CHUNKS_PER_TURN && m.table < MOVED_TABLES.length && Date.now() < deadline; chunks++) {
    const t = MOVED_TABLES[m.table];
    if (!m.tableReady) {
      await prepareTable(source, target, t, m);
      m.tableReady = true;
      save(m);
    }
    const chunk = await readRows(source, t, m.workspaceId, m.after, CHUNK_ROWS);
    if (chunk.rows.length === 0) {
      Object.assign(m, { table: m.table + 1, tableReady: false, after: null });
      save(m);
      continue;
    }
    await target.batch(insertRowsStatements(target, t, chunk, m.offsets));
    io.afterChunk?.();
    m.after = keyOf(t, chunk, chunk.rows[chunk.rows.length - 1]);
    m.rowsCopied += chunk.rows.length;
    m.failures = 0;
    save(m);
  }
}

/**
 * Before a table's first chunk: rows of this workspace already in the target (an earlier attempt
 * that failed or crashed before its cursor was saved) go, and an id table gets its range reserved.
 */
async function prepareTable(source: D1Database, target: D1Database, t: MovedTable, m: MoveState): Promise<void> {
  while ((await deleteRows(target, t, m.workspaceId, CHUNK_ROWS * 5)) > 0);
  if (!t.id) return;
  const range = await idRange(source, { ...t, id: t.id }, m.workspaceId);
  if (!range) return;
  const top = await readRows(source, t, m.workspaceId, [range.max - 1], 1);
  m.offsets[t.table] = await reserveIds(target, { ...t, id: t.id }, top, range.max - range.min, m.offsets);
}

async function failed(env: Env, m: MoveState, save: (m: MoveState) => void, err: unknown): Promise<MoveTurn> {
  m.failures++;
  m.error = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  console.error('workspace move failed', m.workspaceId, m.from, '->', m.to, m.phase, m.error);
  // A move that cannot copy is given up; the workspace stays (its leftovers in the target go on the next attempt).
  if (m.phase !== 'cleaning' && m.failures >= MAX_FAILURES) m.phase = 'failed';
  save(m);
  await setWorkspaceMove(env.DB, m.workspaceId, moveView(m)).catch(() => undefined);
  if (m.phase === 'failed') {
    // Writes are welcome again: this isolate knows at once, the others within the key cache's 30 s.
    forgetKeys();
    return { drain: true, more: false };
  }
  const waitMs = Math.min(30_000, 1000 * 2 ** m.failures);
  return m.phase === 'cleaning' ? { drain: true, more: false } : { drain: false, waitMs };
}

/** When the inbox must wake up for the move even with no ingest waiting (the old copy's deletion). */
export function moveWakeAt(m: MoveState | null): number | null {
  return m && m.phase === 'cleaning' ? Math.max(m.cleanAfter, Date.now() + (m.failures > 0 ? 1000 * 2 ** Math.min(m.failures, 5) : 0)) : null;
}

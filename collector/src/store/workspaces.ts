export type IpPolicy = 'keep' | 'truncate' | 'drop';

export interface WorkspaceSettings {
  ipPolicy: IpPolicy;
  /** ISO 3166 country used to read phone numbers without a country code. */
  defaultCountry?: string;
  /** Consent category that must be granted before a workspace stores an event (see privacy/consent-gate.ts). */
  requiredConsent?: string;
  [key: string]: unknown;
}

export interface Workspace {
  id: string;
  name: string;
  settings: WorkspaceSettings;
  createdAt: number;
  /** Binding name of the D1 database holding its data (directory/databases.ts). */
  database: string;
  /** Its latest move between databases, if it ever moved. */
  move: WorkspaceMove | null;
}

/** A move's progress as the directory records it (directory/move.ts runs it). */
export interface WorkspaceMove {
  status: MoveStatus;
  from: string;
  to: string;
  startedAt: number;
  finishedAt?: number;
  /** Rows copied so far, all tables together. */
  rowsCopied?: number;
  /** The table being copied. */
  table?: string;
  error?: string;
}

/**
 * waiting: writes are being refused while caches that predate the move expire; copying: rows go to
 * the new database in chunks; cleaning: the directory points at the new database, the old copy is
 * deleted once no cache can still read it; done; failed (the workspace stays where it was).
 */
export type MoveStatus = 'waiting' | 'copying' | 'cleaning' | 'done' | 'failed';

/** While a move is in these states, only ingest (buffered by the workspace's inbox) may write. */
export const isMoving = (status: string | null | undefined): boolean => status === 'waiting' || status === 'copying';

export const DEFAULT_SETTINGS: WorkspaceSettings = { ipPolicy: 'truncate' };

interface WorkspaceRow {
  id: string;
  name: string;
  settings: string;
  created_at: number;
  database: string;
  move: string | null;
}

const toWorkspace = (row: WorkspaceRow): Workspace => ({
  id: row.id,
  name: row.name,
  settings: { ...DEFAULT_SETTINGS, ...(JSON.parse(row.settings) as Partial<WorkspaceSettings>) },
  createdAt: row.created_at,
  database: row.database,
  move: row.move ? (JSON.parse(row.move) as WorkspaceMove) : null,
});

const WORKSPACE_COLUMNS = 'id, name, settings, created_at, database, move';

export function insertWorkspaceStatement(db: D1Database, ws: Workspace): D1PreparedStatement {
  return db
    .prepare('INSERT INTO workspaces (id, name, settings, created_at, database) VALUES (?, ?, ?, ?, ?)')
    .bind(ws.id, ws.name, JSON.stringify(ws.settings), ws.createdAt, ws.database);
}

export async function getWorkspace(db: D1Database, id: string): Promise<Workspace | null> {
  const row = await db
    .prepare(`SELECT ${WORKSPACE_COLUMNS} FROM workspaces WHERE id = ?`)
    .bind(id)
    .first<WorkspaceRow>();
  return row ? toWorkspace(row) : null;
}

export async function updateWorkspaceSettings(db: D1Database, id: string, settings: WorkspaceSettings): Promise<void> {
  await db.prepare('UPDATE workspaces SET settings = ? WHERE id = ?').bind(JSON.stringify(settings), id).run();
}

/** Every workspace of the directory (the cron walks them database by database). */
export async function listWorkspaces(db: D1Database): Promise<Workspace[]> {
  const { results } = await db.prepare(`SELECT ${WORKSPACE_COLUMNS} FROM workspaces ORDER BY id`).all<WorkspaceRow>();
  return results.map(toWorkspace);
}

/** Records a workspace's move progress in the directory. */
export async function setWorkspaceMove(db: D1Database, id: string, move: WorkspaceMove): Promise<void> {
  await db.prepare('UPDATE workspaces SET move = ? WHERE id = ?').bind(JSON.stringify(move), id).run();
}

/** The flip of a move: from now on the directory sends the workspace's reads and writes to `database`. */
export async function flipWorkspaceDatabase(db: D1Database, id: string, database: string, move: WorkspaceMove): Promise<void> {
  await db.prepare('UPDATE workspaces SET database = ?, move = ? WHERE id = ?').bind(database, JSON.stringify(move), id).run();
}

/** How many workspaces the directory maps to each database. */
export async function workspacesPerDatabase(db: D1Database): Promise<Map<string, number>> {
  const { results } = await db.prepare('SELECT database, count(*) AS n FROM workspaces GROUP BY database').all<{ database: string; n: number }>();
  return new Map(results.map((r) => [r.database, r.n]));
}

/** The bytes a database uses now: D1 reports its size with every query. */
export async function databaseBytes(db: D1Database): Promise<number> {
  const result = await db.prepare('SELECT 1').run();
  return result.meta.size_after ?? 0;
}

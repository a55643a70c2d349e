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
}

export const DEFAULT_SETTINGS: WorkspaceSettings = { ipPolicy: 'truncate' };

interface WorkspaceRow {
  id: string;
  name: string;
  settings: string;
  created_at: number;
}

const toWorkspace = (row: WorkspaceRow): Workspace => ({
  id: row.id,
  name: row.name,
  settings: { ...DEFAULT_SETTINGS, ...(JSON.parse(row.settings) as Partial<WorkspaceSettings>) },
  createdAt: row.created_at,
});

export function insertWorkspaceStatement(db: D1Database, ws: Workspace): D1PreparedStatement {
  return db
    .prepare('INSERT INTO workspaces (id, name, settings, created_at) VALUES (?, ?, ?, ?)')
    .bind(ws.id, ws.name, JSON.stringify(ws.settings), ws.createdAt);
}

export async function getWorkspace(db: D1Database, id: string): Promise<Workspace | null> {
  const row = await db
    .prepare('SELECT id, name, settings, created_at FROM workspaces WHERE id = ?')
    .bind(id)
    .first<WorkspaceRow>();
  return row ? toWorkspace(row) : null;
}

export async function updateWorkspaceSettings(db: D1Database, id: string, settings: WorkspaceSettings): Promise<void> {
  await db.prepare('UPDATE workspaces SET settings = ? WHERE id = ?').bind(JSON.stringify(settings), id).run();
}

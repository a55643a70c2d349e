import type { Env } from '../env';

/**
 * The inbox (and resolver) of a workspace: one Durable Object per workspace, addressed by its id.
 *
 * @example
 * await inboxOf(env, workspace.id).append(workspace.id, entries);
 */
export function inboxOf(env: Pick<Env, 'INBOX'>, workspaceId: string) {
  return env.INBOX.get(env.INBOX.idFromName(workspaceId));
}

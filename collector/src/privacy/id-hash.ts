/**
 * The stored form of an identifier in suppressions and the deletion log: SHA-256 hex of
 * workspace, type and (already normalised) value. Salting with the workspace keeps the same
 * email from matching across tenants. It is a pseudonym, not anonymity: someone who already
 * knows an email can recognise it; nobody can read one back.
 *
 * @example
 * await hashIdentifier('ws_1', { type: 'email', value: 'ana@example.com' }) // -> '3f1c…' (64 hex)
 */
export async function hashIdentifier(workspaceId: string, id: { type: string; value: string }): Promise<string> {
  const bytes = new TextEncoder().encode(`${workspaceId}\u0000${id.type}\u0000${id.value}`);
  const digest = await crypto.subtle.digest('SHA-256', bytes);
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

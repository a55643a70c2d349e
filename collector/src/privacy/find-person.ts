import { parseProfileRef } from '../identity/profile-view';
import { badRequest, notFound } from '../http/errors';
import { loadPerson, type Person } from '../store/person-data';
import { canonicalIdForIdentifier, canonicalIdForProfile } from '../store/profiles';
import { storageCall } from '../store/storage-call';
import type { Workspace } from '../store/workspaces';

/**
 * The person behind `{ref}` (a profile id or `type:value`, as `GET /v1/profiles/{ref}` reads
 * it) in this workspace. Unknown refs and other workspaces' profiles are both 404.
 *
 * @example
 * const person = await findPerson(env.DB, workspace, 'email:ana@example.com');
 */
export async function findPerson(db: D1Database, workspace: Workspace, ref: string): Promise<Person> {
  const parsed = parseProfileRef(ref, workspace.settings.defaultCountry);
  if (parsed.kind === 'invalid') throw badRequest('invalid_ref', parsed.message, 'ref');
  const person = await storageCall(async () => {
    const canonicalId =
      parsed.kind === 'id' ? await canonicalIdForProfile(db, workspace.id, parsed.id) : await canonicalIdForIdentifier(db, workspace.id, parsed.id);
    return canonicalId ? loadPerson(db, workspace.id, canonicalId) : null;
  });
  if (!person) throw notFound(`No profile ${ref}`);
  return person;
}

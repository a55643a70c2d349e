import { eventIdentifiers } from '../identity/identifiers';
import { resolveAndStore, type StoreOptions, type StoreOutcome } from '../ingest/resolve-and-store';
import type { StoredEvent } from '../ingest/normalise';
import { privacyGate } from '../privacy/gate';
import { refreshMemberships } from '../segments/realtime';
import { refreshComputedTraits } from '../computed-traits/refresh';
import { drainForwardedSoon } from '../destinations/enqueue';
import type { Workspace } from '../store/workspaces';

/**
 * The resolver: applies a batch of accepted events to a workspace. Privacy decisions (consent,
 * suppression), identity, traits, computed traits and accounts are read once, planned purely and
 * written in one atomic D1 batch together with the events themselves (deduplicated by messageId,
 * so a batch applied twice counts once); then the memberships of every profile the batch touched
 * are brought up to date and their webhooks queued. Event destinations' outbox rows are written in
 * the same atomic batch as the events; their drain starts right after. Ingest (through the inbox),
 * replays of dead letters and rebuilds all go through here.
 *
 * The inbox passes `archive`: the batch's R2 archive objects, named before the D1 write, so that
 * each event is stored with its place in them (resolve-and-store.ts; retention indexes it from there).
 *
 * A rebuild passes `{ replay: true }`: the same resolution, without queuing what already went out
 * when the events were first ingested (event forwarding, segment webhooks).
 *
 * @example
 * await resolveBatch(env.DB, workspace, events, Date.now(), (p) => ctx.waitUntil(p));
 */
export async function resolveBatch(
  db: D1Database,
  workspace: Workspace,
  events: readonly StoredEvent[],
  now: number,
  waitUntil?: (promise: Promise<unknown>) => void,
  { replay = false, archive }: { replay?: boolean; archive?: StoreOptions['archive'] } = {},
): Promise<StoreOutcome> {
  const screen = (batch: readonly StoredEvent[], suppressing: boolean) =>
    privacyGate(db, workspace, batch, (e, country) => eventIdentifiers(e, country).ids, now, suppressing);
  const stored = await resolveAndStore(db, workspace, events, now, { screen, forward: !replay, archive });
  // Computed traits and stored predictions first: segments may compare them.
  await refreshComputedTraits(db, workspace.id, [...stored.touchedProfileIds, ...stored.absorbedProfileIds], now);
  await refreshMemberships(db, workspace.id, stored, now, waitUntil, !replay);
  drainForwardedSoon(db, workspace.id, stored.forwarded, waitUntil);
  return stored;
}

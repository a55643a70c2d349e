import { dueEventDestinations, type Destination } from '../store/destinations';
import {
  claimEventDeliveries,
  loadClaimedEvents,
  postponeEventDeliveriesStatement,
  recordEventAttemptsStatements,
  type ClaimedEvent,
  type EventAttemptOutcome,
} from '../store/event-deliveries';
import { normalisePhone } from '../identity/phone';
import type { Ga4Config, MetaConfig, MixpanelConfig } from './kinds';
import { ga4Requests } from './map-ga4';
import { metaRequests } from './map-meta';
import { mixpanelRequests } from './map-mixpanel';
import { webhookRequests } from './map-webhook';
import type { ForwardEvent, MappedBatch } from './outbound';
import { sendPlanned, settle } from './send';
import type { DrainReport } from '../webhooks/drain';

// Longer than an attempt: a claimed delivery is not claimed again while its call runs.
const LEASE_MS = 60_000;
// Events per round of one destination: five webhook posts, twenty GA4 calls, one Mixpanel or Meta
// call. Large rounds keep the D1 work per event small (a claim, a read and about one write per call).
const CLAIM_SIZE = 500;
// Calls of one destination in flight at once (GA4 takes 25 events per call).
const PARALLEL_CALLS = 4;
// Destinations drained per invocation: each round costs 3 D1 queries and a Worker gets 1,000.
const MAX_DESTINATIONS = 10;

// Every ingest starts a drain after its response. Under steady traffic that is one drain per
// request, each polling every destination: many times the ingest's own D1 queries (bench/forwarding
// stalled the collector that way). So within an isolate a destination drains in one loop at a time,
// and at most one more waits behind it: a drain that finds one waiting joins it (that loop starts
// later, so it claims this request's events too). Nothing is dropped and the work stays bounded.
// Claims remain the guarantee across isolates; this only avoids redundant work within one.
interface Lane {
  waiting: Promise<ForwardDrainReport> | null;
  tail: Promise<unknown>;
  open: number;
}
const lanes = new Map<string, Lane>();

function inLane(id: string, run: () => Promise<ForwardDrainReport>): Promise<ForwardDrainReport> {
  let lane = lanes.get(id);
  if (!lane) lanes.set(id, (lane = { waiting: null, tail: Promise.resolve(), open: 0 }));
  if (lane.waiting) return lane.waiting.then(emptyReport);
  const l = lane;
  const mine: Promise<ForwardDrainReport> = l.tail.then(() => {
    if (l.waiting === mine) l.waiting = null;
    return run();
  });
  l.waiting = mine;
  l.tail = mine.catch(() => undefined);
  l.open++;
  void l.tail.then(() => {
    if (--l.open === 0 && lanes.get(id) === l) lanes.delete(id);
  });
  return mine;
}

export interface ForwardDrainOptions {
  now?: () => number;
  random?: () => number;
  /** Only this workspace's destinations (the drain after an ingest). */
  workspaceId?: string;
  /** Not these workspaces' (moving, or moved away and not yet deleted here: the cron). */
  skipWorkspaces?: readonly string[];
  /** Rounds per destination in this invocation. */
  maxRounds?: number;
  /** How long a vendor gets to answer (tests shorten it to show a slow receiver). */
  timeoutMs?: number;
}

/** The webhook drain's counts, plus events a destination cannot take (older than GA4's 72 hours, for one). */
export interface ForwardDrainReport extends DrainReport {
  skipped: number;
}

/**
 * Sends due event deliveries. Every destination drains on its own, concurrently: a slow
 * vendor holds up only its own queue, and one that fails (5xx, 429, timeout) is left alone for
 * the rest of this invocation, its claimed events rescheduled with the failed call's backoff.
 *
 * @example
 * ctx.waitUntil(drainEventDeliveries(env.DB, { workspaceId })); // after an ingest; the cron drains all
 */
export async function drainEventDeliveries(db: D1Database, options: ForwardDrainOptions = {}): Promise<ForwardDrainReport> {
  const now = options.now ?? Date.now;
  const due = await dueEventDestinations(db, { now: now(), limit: MAX_DESTINATIONS, workspaceId: options.workspaceId, skipWorkspaces: options.skipWorkspaces });
  const reports = await Promise.all(
    due.map((destination) =>
      inLane(destination.id, () =>
        drainDestination(db, destination, options).catch((err) => {
          // One destination's storage trouble must not stop the others; its leases expire and it is tried again.
          console.error('event forwarding drain failed', destination.id, err);
          return emptyReport();
        }),
      ),
    ),
  );
  return reports.reduce((a, r) => {
    for (const k of Object.keys(a) as (keyof ForwardDrainReport)[]) a[k] += r[k];
    return a;
  }, emptyReport());
}

const emptyReport = (): ForwardDrainReport => ({ attempted: 0, delivered: 0, retrying: 0, dead: 0, skipped: 0 });

async function drainDestination(db: D1Database, d: Destination, options: ForwardDrainOptions): Promise<ForwardDrainReport> {
  const now = options.now ?? Date.now;
  const random = options.random ?? Math.random;
  const report = emptyReport();
  for (let round = 0; round < (options.maxRounds ?? 10); round++) {
    const ids = await claimEventDeliveries(db, d.id, { now: now(), limit: CLAIM_SIZE, leaseMs: LEASE_MS });
    if (ids.length === 0) break;
    const claimed = await loadClaimedEvents(db, ids, d.kind === 'meta');
    const outcomes: { id: number; outcome: EventAttemptOutcome }[] = [];
    const postponed: D1PreparedStatement[] = [];
    const at = now();
    for (const c of claimed.filter((x) => x.event === null)) {
      outcomes.push({ id: c.id, outcome: { state: { status: 'dead', attempts: c.attempts }, at, responseStatus: null, error: 'the event is no longer stored' } });
      report.dead++;
    }
    const batch = await mapForDestination(d, claimed.filter((c) => c.event !== null).map(forwardEvent), at);
    for (const s of batch.skipped) {
      outcomes.push({ id: s.deliveryId, outcome: { state: { status: 'skipped', attempts: 0 }, at, responseStatus: null, error: s.reason } });
      report.skipped++;
    }
    const attempts = new Map(claimed.map((c) => [c.id, c.attempts]));
    let failedAt: number | null = null;
    for (let i = 0; i < batch.requests.length; i += PARALLEL_CALLS) {
      const calls = batch.requests.slice(i, i + PARALLEL_CALLS);
      if (failedAt !== null) {
        // The vendor is failing: the rest wait with the failed call's backoff instead of hammering it.
        postponed.push(postponeEventDeliveriesStatement(db, calls.flatMap((r) => r.deliveryIds), failedAt));
        continue;
      }
      const answers = await Promise.all(calls.map((request) => sendPlanned(request, { timeoutMs: options.timeoutMs, now })));
      const answeredAt = now();
      calls.forEach((request, k) => {
        for (const s of settle(request, answers[k], attempts, answeredAt, random())) {
          outcomes.push({ id: s.id, outcome: { state: s.state, at: answeredAt, responseStatus: s.responseStatus, error: s.error } });
          report.attempted++;
          report[s.state.status === 'pending' ? 'retrying' : s.state.status]++;
          if (s.state.status === 'pending') failedAt = Math.max(failedAt ?? 0, s.state.nextAttemptAt);
        }
      });
    }
    const statements = [...recordEventAttemptsStatements(db, outcomes), ...postponed];
    if (statements.length > 0) await db.batch(statements);
    if (failedAt !== null) break;
  }
  return report;
}

/** A claimed delivery with the person's email and phone, as the mappings take it. */
function forwardEvent(c: ClaimedEvent): ForwardEvent {
  const email = c.identities.find((i) => i.type === 'email')?.value ?? (typeof c.traits.email === 'string' ? c.traits.email.trim().toLowerCase() : null);
  const phone = c.identities.find((i) => i.type === 'phone')?.value ?? (typeof c.traits.phone === 'string' ? normalisePhone(c.traits.phone) : null);
  return { deliveryId: c.id, event: c.event!, person: { email: email || null, phone } };
}

/** The vendor mapping of a destination's kind. */
function mapForDestination(d: Destination, events: ForwardEvent[], now: number): Promise<MappedBatch> | MappedBatch {
  if (events.length === 0) return { requests: [], skipped: [] };
  switch (d.kind) {
    case 'webhook':
      return webhookRequests({ url: d.url, secret: d.secret }, events, now);
    case 'ga4':
      return ga4Requests(d.config as unknown as Ga4Config, events, now);
    case 'mixpanel':
      return mixpanelRequests(d.config as unknown as MixpanelConfig, events);
    case 'meta':
      return metaRequests(d.config as unknown as MetaConfig, events, now);
    default:
      return { requests: [], skipped: events.map((e) => ({ deliveryId: e.deliveryId, reason: `${d.kind} destinations take no events` })) };
  }
}

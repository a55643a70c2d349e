import { nextForwardState } from '../destinations/delivery-policy';
import type { WhatsAppConfig } from '../destinations/kinds';
import { whatsappNumber, whatsappRequest } from '../destinations/map-whatsapp';
import { sendPlanned } from '../destinations/send';
import { claimDueDeliveries, loadDeliveries, recordAttemptStatement, type DueDelivery } from '../store/deliveries';
import { nextDeliveryState, type AttemptResult } from './retry-policy';
import { webhookPayload } from './payload';
import { SIGNATURE_HEADER, signatureHeader } from './signature';

/** A receiver gets this long to answer before the attempt counts as failed. */
export const ATTEMPT_TIMEOUT_MS = 10_000;
// Longer than an attempt: a claimed delivery is not claimed again while its attempt runs.
const LEASE_MS = 60_000;
const CLAIM_SIZE = 25;

export interface DrainOptions {
  now?: () => number;
  random?: () => number;
  /** Only this workspace's deliveries (the drain after an ingest). */
  workspaceId?: string;
  /** Not these workspaces' (moving, or moved away and not yet deleted here: the cron). */
  skipWorkspaces?: readonly string[];
  /** Caps the work of one invocation (D1 allows 1,000 queries per Worker invocation). */
  maxRounds?: number;
}

export interface DrainReport {
  attempted: number;
  delivered: number;
  retrying: number;
  dead: number;
}

/**
 * Sends due webhook deliveries until none is due (or `maxRounds` is reached): claim a few,
 * POST them signed and in parallel, record each outcome with its next attempt or dead letter.
 *
 * @example
 * ctx.waitUntil(drainDeliveries(env.DB)); // after an ingest, and from the scheduled handler
 */
export async function drainDeliveries(db: D1Database, options: DrainOptions = {}): Promise<DrainReport> {
  const now = options.now ?? Date.now;
  const random = options.random ?? Math.random;
  const report: DrainReport = { attempted: 0, delivered: 0, retrying: 0, dead: 0 };
  for (let round = 0; round < (options.maxRounds ?? 20); round++) {
    const ids = await claimDueDeliveries(db, { now: now(), limit: CLAIM_SIZE, leaseMs: LEASE_MS, workspaceId: options.workspaceId, skipWorkspaces: options.skipWorkspaces });
    if (ids.length === 0) break;
    const deliveries = await loadDeliveries(db, ids);
    const outcomes = await Promise.all(deliveries.map((d) => (d.destinationKind === 'whatsapp' ? sendWhatsApp(d, now) : attempt(d, now))));
    const statements = deliveries.map((d, i) => {
      const result = outcomes[i];
      const at = now();
      // Segment webhooks retry any failure (today's contract); WhatsApp gives up on a 4xx, which no retry mends.
      const state = 'noPhone' in result ? ({ status: 'dead', attempts: d.attempts + 1 } as const)
        : d.destinationKind === 'whatsapp' ? nextForwardState(d.attempts, result, at, random()) : nextDeliveryState(d.attempts, result, at, random());
      report.attempted++;
      report[state.status === 'pending' ? 'retrying' : state.status]++;
      return recordAttemptStatement(db, d.id, state, {
        at,
        responseStatus: 'status' in result ? result.status : null,
        error: 'noPhone' in result ? 'no E.164 phone number on the profile'
          : 'error' in result ? result.error
          : result.status < 200 || result.status >= 300 ? `HTTP ${result.status}${result.body ? `: ${result.body.slice(0, 300)}` : ''}` : null,
      });
    });
    if (statements.length > 0) await db.batch(statements);
  }
  return report;
}

/**
 * A WhatsApp template message to the person who entered the segment. The fan-out only queues
 * people with a phone; one whose number went away (or never read as E.164) since gets none.
 */
async function sendWhatsApp(d: DueDelivery, now: () => number): Promise<AttemptResult | { noPhone: true }> {
  const to = whatsappNumber(d.identities, d.traits);
  if (!to || !d.config) return { noPhone: true };
  const answer = await sendPlanned(whatsappRequest(d.config as unknown as WhatsAppConfig, to), { now });
  return 'error' in answer.result ? answer.result : { ...answer.result, body: answer.body };
}

async function attempt(d: DueDelivery, now: () => number): Promise<AttemptResult> {
  const body = JSON.stringify(webhookPayload(d));
  try {
    const res = await fetch(d.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'user-agent': 'Satu-Webhooks/1',
        [SIGNATURE_HEADER]: await signatureHeader(d.secret, body, Math.floor(now() / 1000)),
        'Satu-Event-Id': `chg_${d.changeId}`,
        'Satu-Delivery-Id': String(d.id),
        'Satu-Delivery-Attempt': String(d.attempts + 1),
      },
      body,
      redirect: 'manual',
      signal: AbortSignal.timeout(ATTEMPT_TIMEOUT_MS),
    });
    // The body is not needed; cancelling frees the connection.
    await res.body?.cancel();
    return { status: res.status };
  } catch (err) {
    return { error: err instanceof Error ? `${err.name}: ${err.message}`.slice(0, 500) : 'fetch failed' };
  }
}

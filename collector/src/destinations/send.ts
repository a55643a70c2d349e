import { nextForwardState, parseRetryAfter, verdictOf, type ForwardAttempt } from './delivery-policy';
import type { PlannedRequest } from './outbound';
import type { DeliveryState } from '../webhooks/retry-policy';

/** A vendor gets this long to answer before the attempt counts as a timeout (and is retried). */
export const FORWARD_TIMEOUT_MS = 10_000;
// Enough of an error answer to tell what went wrong, never a whole page.
const ANSWER_CHARS = 2000;

export interface Answer {
  result: ForwardAttempt;
  /** The start of the answer's body (for error messages and Mixpanel's failed_records). */
  body: string;
}

/**
 * Sends one planned call with a timeout; never throws: a network error or timeout is a value.
 *
 * @example
 * const answer = await sendPlanned(request, { timeoutMs: 10_000, now: Date.now });
 */
export async function sendPlanned(
  request: Pick<PlannedRequest, 'url' | 'headers' | 'body'>,
  options: { timeoutMs?: number; now?: () => number } = {},
): Promise<Answer> {
  try {
    const res = await fetch(request.url, {
      method: 'POST',
      headers: request.headers,
      body: request.body,
      redirect: 'manual',
      signal: AbortSignal.timeout(options.timeoutMs ?? FORWARD_TIMEOUT_MS),
    });
    const ok = res.status >= 200 && res.status < 300;
    // Successful bodies are not needed (cancelling frees the connection), except Mixpanel's verdicts.
    const body = ok ? (await res.body?.cancel(), '') : (await res.text()).slice(0, ANSWER_CHARS);
    return { result: { status: res.status, retryAfterMs: parseRetryAfter(res.headers.get('retry-after'), (options.now ?? Date.now)()) }, body };
  } catch (err) {
    return { result: { error: err instanceof Error ? `${err.name}: ${err.message}`.slice(0, 500) : 'fetch failed' }, body: '' };
  }
}

export interface Settled {
  id: number;
  state: DeliveryState;
  responseStatus: number | null;
  error: string | null;
}

/**
 * What one answer means for each delivery the call carried. Mixpanel's 400 names the records it
 * refused (`failed_records[].index`) and imports the rest: those are dead, the others delivered.
 *
 * @example
 * settle(request, { result: { status: 503 }, body: '' }, new Map([[7, 0]]), now, 0.5)
 * // [{ id: 7, state: { status: 'pending', attempts: 1, nextAttemptAt: now + 60000 }, responseStatus: 503, error: 'HTTP 503' }]
 */
export function settle(
  request: Pick<PlannedRequest, 'deliveryIds' | 'partialFailures'>,
  answer: Answer,
  attempts: ReadonlyMap<number, number>,
  now: number,
  random: number,
): Settled[] {
  const { result, body } = answer;
  const status = 'status' in result ? result.status : null;
  const error = 'error' in result ? result.error : verdictOf(result) === 'ok' ? null : `HTTP ${status}${body ? `: ${body.slice(0, 300)}` : ''}`;
  const failed = request.partialFailures === 'mixpanel' && status === 400 ? mixpanelFailedIndexes(body) : null;
  return request.deliveryIds.map((id, index) => {
    const previous = attempts.get(id) ?? 0;
    if (failed) {
      const refused = failed.get(index);
      return refused === undefined
        ? { id, state: { status: 'delivered', attempts: previous + 1, deliveredAt: now }, responseStatus: status, error: null }
        : { id, state: { status: 'dead', attempts: previous + 1 }, responseStatus: status, error: `Mixpanel refused the record: ${refused}`.slice(0, 500) };
    }
    return { id, state: nextForwardState(previous, result, now, random), responseStatus: status, error };
  });
}

/** Index -> message of the records a Mixpanel 400 refused; null when the answer is not that kind of 400. */
export function mixpanelFailedIndexes(body: string): Map<number, string> | null {
  try {
    const parsed = JSON.parse(body) as { failed_records?: { index?: unknown; field?: unknown; message?: unknown }[] };
    if (!Array.isArray(parsed.failed_records)) return null;
    const out = new Map<number, string>();
    for (const r of parsed.failed_records) if (typeof r.index === 'number') out.set(r.index, `${r.field ?? ''} ${r.message ?? ''}`.trim());
    return out;
  } catch {
    return null; // not JSON: a plain 400 for the whole call
  }
}

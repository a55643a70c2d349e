import { MAX_ATTEMPTS, MAX_DELAY_MS, backoffDelay, type AttemptResult, type DeliveryState } from '../webhooks/retry-policy';

/**
 * Delivery policy of forwarded events and WhatsApp messages. Vendors tell a bad request (4xx)
 * from a bad moment (5xx, 429, 408, a timeout, a dropped connection): only the second is worth
 * trying again. The backoff is the segment webhooks' (1 minute doubling to 6 hours, jittered),
 * and after MAX_ATTEMPTS (10, about 8.5 hours) a delivery is dead. A 429's Retry-After is
 * honoured when it asks for longer than the backoff.
 */
export { MAX_ATTEMPTS };

/** What one HTTP attempt gave: a status (with a parsed Retry-After), or a network error / timeout. */
export type ForwardAttempt = AttemptResult;

/** The meaning of an attempt: delivered, worth retrying, not worth retrying, or told to slow down. */
export type Verdict = 'ok' | 'retry' | 'drop' | 'rateLimited';

/**
 * @example
 * verdictOf({ status: 429 }) // 'rateLimited'; verdictOf({ status: 400 }) // 'drop'; verdictOf({ error: 'TimeoutError' }) // 'retry'
 */
export function verdictOf(result: ForwardAttempt): Verdict {
  if ('error' in result) return 'retry';
  const s = result.status;
  if (s >= 200 && s < 300) return 'ok';
  if (s === 429) return 'rateLimited';
  if (s >= 500 || s === 408) return 'retry';
  return 'drop';
}

/**
 * The delivery's state after one more attempt.
 *
 * @example
 * nextForwardState(0, { status: 503 }, now, 0.5) // { status: 'pending', attempts: 1, nextAttemptAt: now + 60000 }
 * nextForwardState(0, { status: 401 }, now, 0.5) // { status: 'dead', attempts: 1 }
 */
export function nextForwardState(previousAttempts: number, result: ForwardAttempt, now: number, random: number): DeliveryState {
  const attempts = previousAttempts + 1;
  const verdict = verdictOf(result);
  if (verdict === 'ok') return { status: 'delivered', attempts, deliveredAt: now };
  if (verdict === 'drop' || attempts >= MAX_ATTEMPTS) return { status: 'dead', attempts };
  const asked = verdict === 'rateLimited' && 'status' in result ? Math.min(result.retryAfterMs ?? 0, MAX_DELAY_MS) : 0;
  return { status: 'pending', attempts, nextAttemptAt: now + Math.max(backoffDelay(attempts, random), asked) };
}

/**
 * A Retry-After header in milliseconds from `now`: delta seconds or an HTTP date.
 *
 * @example
 * parseRetryAfter('120', now) // 120000
 */
export function parseRetryAfter(header: string | null, now: number): number | undefined {
  if (!header) return undefined;
  if (/^\d+$/.test(header.trim())) return Number(header.trim()) * 1000;
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

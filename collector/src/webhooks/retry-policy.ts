/**
 * Delivery retries: exponential backoff with jitter, then a dead letter.
 * Attempt n (1-based) that fails is retried after BASE_DELAY_MS * 2^(n-1), capped at
 * MAX_DELAY_MS, scaled by a jitter factor in [0.8, 1.2) so a recovering receiver is not hit by
 * every queued delivery at once. After MAX_ATTEMPTS failed attempts the delivery is `dead`.
 * With these numbers the last attempt happens about 8.5 hours after the first.
 */
export const MAX_ATTEMPTS = 10;
export const BASE_DELAY_MS = 60_000;
export const MAX_DELAY_MS = 6 * 3_600_000;

/** What one HTTP attempt gave: a response status (with the start of an error answer, a parsed Retry-After), or a network error / timeout. */
export type AttemptResult = { status: number; body?: string; retryAfterMs?: number } | { error: string };

export type DeliveryState =
  | { status: 'delivered'; attempts: number; deliveredAt: number }
  | { status: 'pending'; attempts: number; nextAttemptAt: number }
  | { status: 'dead'; attempts: number };

/**
 * Delay before retrying after `attempts` failed attempts; `random` is in [0, 1).
 *
 * @example
 * backoffDelay(1, 0.5) // 60000, then 120000, 240000, ... capped at 6 hours
 */
export function backoffDelay(attempts: number, random: number): number {
  const raw = Math.min(BASE_DELAY_MS * 2 ** Math.max(0, attempts - 1), MAX_DELAY_MS);
  return Math.round(raw * (0.8 + 0.4 * random));
}

/**
 * The delivery's state after one more attempt. Any 2xx is delivered; anything else (another
 * status, a network error, a timeout) is retried until MAX_ATTEMPTS.
 *
 * @example
 * nextDeliveryState(0, { status: 500 }, now, 0.5) // { status: 'pending', attempts: 1, nextAttemptAt: now + 60000 }
 */
export function nextDeliveryState(previousAttempts: number, result: AttemptResult, now: number, random: number): DeliveryState {
  const attempts = previousAttempts + 1;
  if ('status' in result && result.status >= 200 && result.status < 300) return { status: 'delivered', attempts, deliveredAt: now };
  if (attempts >= MAX_ATTEMPTS) return { status: 'dead', attempts };
  return { status: 'pending', attempts, nextAttemptAt: now + backoffDelay(attempts, random) };
}

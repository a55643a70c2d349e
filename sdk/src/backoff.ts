/**
 * How long to wait before attempt number `attempt` (1 = the first retry): exponential from 1 s,
 * capped at 5 minutes, with "equal jitter" (half fixed, half random) so that many browsers
 * coming back from the same outage do not retry in lockstep. A server's Retry-After is a floor.
 * Pure: randomness is passed in.
 *
 * @example
 * backoff(3, 0.5) // -> 3000: 1000 * 2^2 = 4000, times 0.75
 * backoff(1, 0, 5000) // -> 5000: Retry-After wins over the 500 ms backoff
 */
export const backoff = (attempt: number, random: number, retryAfter = 0): number =>
  Math.max(retryAfter, Math.min(3e5, 500 * 2 ** attempt) * (1 + random) / 2);

/**
 * Milliseconds a `Retry-After` header asks for: delta-seconds or an HTTP date, 0 when absent or unreadable.
 *
 * @example
 * parseRetryAfter('5', Date.now()) // -> 5000
 */
export const parseRetryAfter = (value: string | null | undefined, now: number): number =>
  // Absent or empty: +value is 0 (null, '') or NaN (undefined, which Date.parse makes NaN, and NaN || 0 is 0).
  +value! >= 0 ? +value! * 1000 : Math.max(Date.parse(value!) - now, 0) || 0;

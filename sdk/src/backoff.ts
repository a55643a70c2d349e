/**
 * How long to wait before attempt number `attempt` (1 = the first retry): exponential from
 * `base`, capped at `cap`, with "equal jitter" (half fixed, half random) so that many browsers
 * coming back from the same outage do not retry in lockstep. A server's Retry-After is a floor.
 * Pure: randomness is passed in.
 *
 * @example
 * backoff(3, 0.5) // -> 3000: 1000 * 2^2 = 4000, times 0.75
 * backoff(1, 0, 5000) // -> 5000: Retry-After wins over the 500 ms backoff
 */
export const backoff = (attempt: number, random: number, retryAfter = 0, base = 1000, cap = 300_000): number =>
  Math.max(retryAfter, Math.min(cap, base * 2 ** (attempt - 1)) * (0.5 + random / 2));

/**
 * Milliseconds a `Retry-After` header asks for: delta-seconds or an HTTP date, 0 when absent or unreadable.
 *
 * @example
 * parseRetryAfter('5', Date.now()) // -> 5000
 */
export function parseRetryAfter(value: string | null | undefined, now: number): number {
  if (!value) return 0;
  const seconds = +value;
  if (seconds >= 0) return seconds * 1000;
  const at = Date.parse(value);
  return at > now ? at - now : 0;
}

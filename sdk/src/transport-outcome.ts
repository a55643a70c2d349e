/**
 * Whether a delivery attempt that got `status` (0 = no response: network error, offline, blocked)
 * must be retried after a backoff: network errors, 408, 429 and 5xx. Anything else leaves the
 * queue: 2xx was stored (single rejected messages are dropped, not retried), any other 4xx (bad
 * write key, malformed) cannot succeed by retrying.
 *
 * @example
 * retryable(503) // -> true
 * retryable(401) // -> false
 */
export const retryable = (status: number): boolean => !status || status == 408 || status == 429 || status > 499;

import type { Rejection } from './contract';

/**
 * What a delivery attempt came to, as a value (never an error compared by name):
 * - `ok`: stored; `rejected` lists single messages the collector refused (dropped, not retried);
 * - `retry`: network error, 408 or 5xx: try again after a backoff of at least `after` ms;
 * - `rateLimited`: 429: the same, the collector asked us to slow down;
 * - `drop`: any other 4xx (bad write key, malformed): retrying cannot help.
 */
export type Outcome =
  | { kind: 'ok'; rejected: Rejection[] }
  | { kind: 'retry' | 'rateLimited'; after: number }
  | { kind: 'drop'; status: number };

/**
 * Classifies a response status (0 = no response: network error, offline, blocked).
 *
 * @example
 * classify(503, 5000) // -> { kind: 'retry', after: 5000 }
 * classify(401, 0) // -> { kind: 'drop', status: 401 }
 */
export function classify(status: number, retryAfter: number): Outcome {
  if (status > 199 && status < 300) return { kind: 'ok', rejected: [] };
  if (status == 429) return { kind: 'rateLimited', after: retryAfter };
  if (!status || status == 408 || status > 499) return { kind: 'retry', after: retryAfter };
  return { kind: 'drop', status };
}

import type { StoredEvent } from '../ingest/normalise';

/**
 * Events in the order the resolver applies them: by event time, then receive time, then as they
 * arrived (a stable sort), so a batch gives the same profiles however its messages were grouped
 * into requests and resolver batches.
 *
 * @example
 * inEventOrder([late, early]) // -> [early, late]
 */
export function inEventOrder(events: readonly StoredEvent[]): StoredEvent[] {
  return [...events].sort((a, b) => a.timestamp - b.timestamp || a.receivedAt - b.receivedAt);
}

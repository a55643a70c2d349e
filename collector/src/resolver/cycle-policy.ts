/** An inbox row as the resolver's batching policy sees it (no body: only its size). */
export interface InboxRow {
  seq: number;
  messageId: string;
  attempts: number;
  /** Length of the stored event's JSON. */
  size: number;
}

/**
 * Largest resolver batch. One batch is one identity read, one plan and one atomic D1 write, so
 * bigger batches amortise the round trips; 1,000 events stay far inside D1's per-statement limits
 * (the writes are chunked) and a Worker's memory.
 */
export const MAX_BATCH_EVENTS = 1000;
export const MAX_BATCH_CHARS = 4_000_000;

/**
 * Which rows the next resolver cycle takes, from the oldest waiting rows in arrival order. Rows
 * that failed before are taken one at a time, first, so a poison message is isolated from the
 * healthy rows it was batched with (they go through on their next, single, try); otherwise as many
 * rows as fit in one batch.
 *
 * @example
 * takeNext([{ seq: 1, attempts: 0, ... }, { seq: 2, attempts: 1, ... }]) // -> [row 2]
 */
export function takeNext(rows: readonly InboxRow[]): InboxRow[] {
  const retried = rows.find((r) => r.attempts > 0);
  if (retried) return [retried];
  const batch: InboxRow[] = [];
  let chars = 0;
  for (const row of rows) {
    if (batch.length >= MAX_BATCH_EVENTS || (batch.length > 0 && chars + row.size > MAX_BATCH_CHARS)) break;
    batch.push(row);
    chars += row.size;
  }
  return batch;
}

/**
 * Backoff before a failed row is tried again: 100 ms doubling per attempt, capped at 30 s. Short
 * enough that a transient D1 failure costs well under a second of lag, long enough that a lasting
 * one does not spin the resolver.
 *
 * @example
 * retryAfterFailureMs(1) // -> 100
 * retryAfterFailureMs(4) // -> 800
 */
export function retryAfterFailureMs(attempt: number): number {
  return Math.min(30_000, 100 * 2 ** Math.max(0, attempt - 1));
}

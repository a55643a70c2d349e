import type { StoredEvent } from '../ingest/normalise';

/** An inbox row as the resolver's batching policy sees it. */
export interface InboxRow {
  seq: number;
  attempts: number;
  /** The stored event's JSON. */
  body: string;
}

/**
 * Largest resolver batch. One batch is one identity read, one plan and one atomic D1 write, so
 * bigger batches amortise the round trips; 1,000 events stay far inside D1's per-statement limits
 * (the writes are chunked) and a Worker's memory.
 */
export const MAX_BATCH_EVENTS = 1000;
export const MAX_BATCH_CHARS = 4_000_000;

/**
 * The rows of the next resolver batch, from the oldest waiting rows in arrival order: as many as
 * fit MAX_BATCH_EVENTS and MAX_BATCH_CHARS (always at least one). Rows that failed before are not
 * offered here: the inbox takes them one at a time, so a poison message is isolated from the
 * healthy rows it was batched with.
 *
 * @example
 * takeBatch(rowsOf(1500 small events)).length // -> 1000
 */
export function takeBatch<R extends Pick<InboxRow, 'body'>>(rows: Iterable<R>): R[] {
  const batch: R[] = [];
  let chars = 0;
  for (const row of rows) {
    if (batch.length >= MAX_BATCH_EVENTS || (batch.length > 0 && chars + row.body.length > MAX_BATCH_CHARS)) break;
    batch.push(row);
    chars += row.body.length;
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

/**
 * The inbox's test seam for crashes: each hook is called at one point of a resolver cycle or a
 * move, and throwing there fails the batch (or the move's step) at that point.
 */
export interface InboxFaults {
  /** With each batch, before it is resolved. */
  beforeResolve?(events: readonly StoredEvent[]): void | Promise<void>;
  /** Between the D1 write and the R2 archive write. */
  beforeArchive?(stored: readonly StoredEvent[]): void | Promise<void>;
  /** After the D1 write and the archive, before the rows leave the inbox. */
  afterResolve?(events: readonly StoredEvent[]): void;
  /** While true, a move in progress does not advance (and holds ingest, as a move does). */
  holdMove?: boolean;
  /** Called after each chunk a move writes, before its cursor is saved: throwing there is a crash at that point. */
  afterMoveChunk?(): void;
}

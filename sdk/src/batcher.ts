import { backoff } from './backoff';
import type { Envelope } from './queue';

/**
 * UTF-8 bytes of a string: what the limits are measured in (string length undercounts non-ASCII).
 * ASCII, most JSON, is counted without encoding it.
 */
export const byteLength = (text: string): number =>
  /[^\0-\x7f]/.test(text) ? new TextEncoder().encode(text).length : text.length;

/** Bytes an envelope adds to a batch body: its message's JSON plus the comma. */
export const sizeOf = (e: Envelope): number => byteLength(e.json) + 1;

/**
 * The next request's envelopes: oldest first, those due (all with `force`: flush() and page exit),
 * none in flight (`skip`), while their JSON adds up to at most `limit` bytes. One larger than
 * `limit` travels alone (the collector then refuses it by itself, never its neighbours).
 *
 * @example
 * nextBatch(await queue.oldest(), Date.now(), false, 60_000, new Set())
 */
export function nextBatch(envelopes: Envelope[], now: number, force: boolean, limit: number, skip: Set<string>): Envelope[] {
  const batch: Envelope[] = [];
  let bytes = 0;
  for (const e of envelopes)
    if ((force || e.nextAttemptAt <= now) && !skip.has(e.id)) {
      bytes += sizeOf(e);
      if (batch.length && bytes > limit) break;
      batch.push(e);
    }
  return batch;
}

/**
 * When the next round should start: right away once `flushAt` events wait, else after
 * `flushInterval`; never before a backoff pause asked for by the last failure.
 *
 * @example
 * nextFlushAt(1000, 20, 20, 1000, 0) // -> 1000 (batch full: now)
 * nextFlushAt(1000, 3, 20, 1000, 0) // -> 2000
 */
export const nextFlushAt = (now: number, waiting: number, flushAt: number, flushInterval: number, pausedUntil: number): number =>
  Math.max(now + (waiting < flushAt ? flushInterval : 0), pausedUntil);

/**
 * Marks a batch that must be retried: one more attempt each and the next attempt after the
 * backoff (Retry-After as the floor). Mutates and returns the envelopes, which are then written back.
 *
 * @example
 * afterFailure(batch, Date.now(), 5000, Math.random())
 */
export function afterFailure(batch: Envelope[], now: number, retryAfter: number, random: number): Envelope[] {
  for (const e of batch) e.nextAttemptAt = now + backoff(++e.attempts, random, retryAfter);
  return batch;
}

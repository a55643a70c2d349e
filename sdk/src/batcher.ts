import { backoff } from './backoff';
import { byteLength, chunk } from './chunk';
import type { Envelope } from './queue';

/** Bytes an envelope adds to a batch body: its message's JSON plus the comma. */
export const sizeOf = (e: Envelope): number => byteLength(e.json) + 1;

/**
 * The batches of one delivery round: envelopes that are due (or all with `force`, i.e. flush()),
 * minus those already in flight (`skip`), oldest first, in groups under `limit` bytes.
 *
 * @example
 * planBatches(await queue.all(), Date.now(), false, 500_000, new Set())
 */
export const planBatches = (envelopes: Envelope[], now: number, force: boolean, limit: number, skip: Set<string>): Envelope[][] =>
  chunk(envelopes.filter((e) => (force || e.nextAttemptAt <= now) && !skip.has(e.id)), sizeOf, limit);

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

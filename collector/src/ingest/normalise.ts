import type { JsonObject, Message } from '../../../sdk/src/contract';
import { identifyTraits } from './identify-traits';

/** A message as stored: times in epoch ms, ids resolved, ready for the events table. */
export interface StoredEvent {
  messageId: string;
  type: Message['type'];
  event: string | null;
  name: string | null;
  anonymousId: string | null;
  userId: string | null;
  groupId: string | null;
  previousId: string | null;
  /** Corrected for the sender's clock skew. */
  timestamp: number;
  receivedAt: number;
  sentAt: number | null;
  /** The sender's own timestamp, before correction. */
  originalTimestamp: number | null;
  properties: JsonObject | null;
  traits: JsonObject | null;
  context: JsonObject;
  integrations: JsonObject | null;
}

export interface NormaliseInput {
  receivedAt: number;
  /** Batch-level sentAt, used when the message has none of its own. */
  batchSentAt?: string;
  newMessageId: () => string;
}

const toMs = (iso: string | undefined | null): number | null => {
  if (!iso) return null;
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? null : ms;
};

/**
 * How far the sender's clock at `sentAt` may be from our `receivedAt` and still be trusted. The gap
 * holds the clock's skew plus the request's time on the wire, and the two cannot be told apart: below
 * this, the gap is mostly travel time, and "correcting" by it would move each batch by its own latency,
 * so two batches sent a few milliseconds apart could swap their events. Past it, the clock is wrong.
 */
export const CLOCK_TOLERANCE_MS = 5_000;

/**
 * The event's time on our clock. A sender whose clock is wrong is corrected as Segment does: its
 * clock may be off, but the gap between its `timestamp` and its `sentAt` is right, so
 * `timestamp = receivedAt - (sentAt - originalTimestamp)`. A clock within CLOCK_TOLERANCE_MS of ours
 * is trusted as it is, which keeps one device's events in the order it recorded them. An event never
 * lands in the future, where it would hold `lastSeen` and time windows open: one said to happen after
 * it was sent, or (without `sentAt`) more than the tolerance after we received it, gets `receivedAt`.
 *
 * @example
 * correctTimestamp({ original: 1_000, sentAt: 5_000, receivedAt: 100_000 }) // -> 96_000
 * correctTimestamp({ original: 1_000, sentAt: 5_000, receivedAt: 5_080 }) // -> 1_000
 */
export function correctTimestamp(t: { original: number | null; sentAt: number | null; receivedAt: number }): number {
  const { original, sentAt, receivedAt } = t;
  if (original === null) return receivedAt;
  // Without sentAt the clock cannot be judged (imports carry old times on purpose): only the future is refused.
  if (sentAt === null) return original > receivedAt + CLOCK_TOLERANCE_MS ? receivedAt : original;
  if (original > sentAt) return receivedAt;
  if (Math.abs(receivedAt - sentAt) <= CLOCK_TOLERANCE_MS) return original;
  return receivedAt - (sentAt - original);
}

/** Turns a validated message into the row we store. Pure: time and ids come in. */
export function normaliseMessage(message: Message & { originalTimestamp?: string }, input: NormaliseInput): StoredEvent {
  const original = toMs(message.timestamp ?? message.originalTimestamp);
  const sentAt = toMs(message.sentAt ?? input.batchSentAt);
  return {
    messageId: message.messageId ?? input.newMessageId(),
    type: message.type,
    event: message.type === 'track' ? (message.event ?? null) : null,
    name: message.name ?? null,
    anonymousId: message.anonymousId ?? null,
    userId: message.userId ?? null,
    groupId: message.groupId ?? null,
    previousId: message.previousId ?? null,
    timestamp: correctTimestamp({ original, sentAt, receivedAt: input.receivedAt }),
    receivedAt: input.receivedAt,
    sentAt,
    originalTimestamp: original,
    properties: message.properties ?? null,
    traits: identifyTraits(message),
    context: message.context ?? {},
    integrations: message.integrations ?? null,
  };
}

import { nanoid } from 'nanoid';
import type { IngestResult, MessageType, Rejection } from '../../../sdk/src/contract';
import type { ServerTiming } from '../http/server-timing';
import { eventIdentifiers } from '../identity/identifiers';
import { privacyGate } from '../privacy/gate';
import { storageCall } from '../store/storage-call';
import type { Segment } from '../store/segments';
import type { Workspace } from '../store/workspaces';
import { enrichContext, memoiseUa, parseUserAgent, type RequestFacts } from './enrich';
import { normaliseMessage, type StoredEvent } from './normalise';
import { resolveAndStore } from './resolve-and-store';
import { validateMessage, type MessageSource } from './validate';

export interface IngestInput {
  db: D1Database;
  workspace: Workspace;
  messages: readonly unknown[];
  receivedAt: number;
  batchSentAt?: string;
  /** Set by the single-message routes (/v1/track, ...): the route names the type. */
  routeType?: MessageType;
  facts: RequestFacts;
  /** What is known of the JSON text the messages came from (lets validation skip needless walks). */
  source?: MessageSource;
  /** Phase timings for the response's Server-Timing header. */
  timing?: ServerTiming;
}

const parseUa = memoiseUa(parseUserAgent);

export interface Prepared {
  events: StoredEvent[];
  rejected: Rejection[];
}

/**
 * Validation, normalisation and enrichment of one request's messages. Every message is judged
 * on its own: a bad one becomes a rejection and never costs its neighbours.
 */
export function prepareMessages(input: Omit<IngestInput, 'db' | 'workspace'>): Prepared {
  const events: StoredEvent[] = [];
  const rejected: Rejection[] = [];
  input.messages.forEach((raw, index) => {
    const checked = validateMessage(raw, input.routeType, input.source);
    if (!checked.ok) {
      const id = (raw as { messageId?: unknown } | null)?.messageId;
      rejected.push({
        index,
        messageId: typeof id === 'string' ? id : null,
        code: checked.code,
        message: checked.message,
        ...(checked.field ? { field: checked.field } : {}),
      });
      return;
    }
    const event = normaliseMessage(checked.message, {
      receivedAt: input.receivedAt,
      batchSentAt: input.batchSentAt,
      newMessageId: () => `satu-${nanoid()}`,
    });
    event.context = enrichContext(event.context, input.facts, parseUa);
    events.push(event);
  });
  return { events, rejected };
}

export interface IngestOutcome {
  result: IngestResult;
  /** Canonical profiles the batch changed: re-evaluate their segments right after the store. */
  touchedProfileIds: string[];
  /** Profiles merged away by the batch: they are no longer canonical. */
  absorbedProfileIds: string[];
  /** The workspace's segments, read with the identity state: the real-time update needs no lookup of its own. */
  segments?: Segment[];
}

/**
 * Ingests one request's messages: prepare, resolve identities, then store the events with
 * their profile and every profile/identity change in one atomic D1 batch. A message already
 * stored (same messageId) is accepted and not stored or counted again.
 *
 * @example
 * const { result, touchedProfileIds } = await ingestMessages({ db, workspace, messages, receivedAt: Date.now(), facts });
 */
export async function ingestMessages(input: IngestInput): Promise<IngestOutcome> {
  const { events: valid, rejected } = prepareMessages(input);
  const result: IngestResult = { ok: true, accepted: valid.length, rejected };
  if (valid.length === 0) return { result, touchedProfileIds: [], absorbedProfileIds: [] };
  // Privacy: events without required consent or of a suppressed person are accepted, not stored.
  // The gate runs after the identity read, which also says whether anyone is suppressed.
  const screen = (events: readonly StoredEvent[], suppressing: boolean) =>
    privacyGate(input.db, input.workspace, events, (e, country) => eventIdentifiers(e, country).ids, input.receivedAt, suppressing);
  const stored = await storageCall(() => resolveAndStore(input.db, input.workspace, valid, input.receivedAt, { timing: input.timing, screen }));
  return { result, touchedProfileIds: stored.touchedProfileIds, absorbedProfileIds: stored.absorbedProfileIds, segments: stored.segments };
}

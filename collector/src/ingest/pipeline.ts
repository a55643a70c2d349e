import { nanoid } from 'nanoid';
import type { IngestResult, MessageType, Rejection } from '../../../sdk/src/contract';
import type { ServerTiming } from '../http/server-timing';
import type { Env } from '../env';
import { inboxOf } from '../resolver/inbox-client';
import type { InboxEntry } from '../resolver/inbox-tables';
import { inboxText } from '../store/events';
import { storageCall } from '../store/storage-call';
import type { Workspace } from '../store/workspaces';
import { enrichContext, memoiseUa, parseUserAgent, type RequestFacts } from './enrich';
import { normaliseMessage, type StoredEvent } from './normalise';
import { validateMessage, type MessageSource } from './validate';

export interface AcceptInput {
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
export function prepareMessages(input: Omit<AcceptInput, 'workspace'>): Prepared {
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

/**
 * Accepts one request's messages: validates, normalises and enriches them, then appends the valid
 * ones to the workspace's durable inbox and returns once they are durable. Identity, profiles,
 * privacy decisions and memberships are resolved behind the answer (resolver/inbox.ts). The answer
 * lists each rejected message; a message already accepted (same messageId) is accepted again and
 * stored once.
 *
 * @example
 * const result = await acceptMessages(env, { workspace, messages, receivedAt: Date.now(), facts });
 * // { ok: true, accepted: 2, rejected: [] }
 */
export async function acceptMessages(env: Pick<Env, 'INBOX'>, input: AcceptInput): Promise<IngestResult> {
  const { events, rejected } = prepareMessages(input);
  const result: IngestResult = { ok: true, accepted: events.length, rejected };
  if (events.length === 0) return result;
  const entries: InboxEntry[] = events.map((e) => [e.messageId, e.receivedAt, inboxText(e)]);
  const append = () => storageCall(() => appendRetrying(() => inboxOf(env, input.workspace.id).append(input.workspace.id, entries)));
  await (input.timing ? input.timing.time('append', append) : append());
  return result;
}

/**
 * Calls the inbox again when Durable Objects say the failure is retryable (the object was reset
 * or moved), with a fresh stub each time as Cloudflare advises; an overloaded object, or a third
 * failure, is left to the caller (503 + Retry-After: the sender retries later). An append that
 * failed may still have been stored: the retry is idempotent (same messageIds).
 */
async function appendRetrying<T>(call: () => Promise<T>, attempts = 3): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (err) {
      const e = err as { retryable?: boolean; overloaded?: boolean };
      if (attempt >= attempts || !e?.retryable || e.overloaded) throw err;
    }
  }
}

/**
 * The wire contract between every sender (browser SDK, npm module, Segment
 * server libraries, curl) and the collector. Written once, imported by both
 * sides, so a limit or a field name cannot drift between them.
 *
 * It follows the Segment Spec: https://segment.com/docs/connections/spec/
 */

export const MESSAGE_TYPES = ['identify', 'track', 'page', 'screen', 'group', 'alias'] as const;
export type MessageType = (typeof MESSAGE_TYPES)[number];

/** Segment's documented limits: 32 KB per message, 500 KB per batch request. */
export const MAX_MESSAGE_BYTES = 32 * 1024;
export const MAX_BATCH_BYTES = 500 * 1024;
/**
 * Deepest nesting of objects and arrays accepted inside a message. SQLite's JSON functions stop
 * at 1000 levels, and one stored document deeper than that makes every json_extract over the
 * events table fail; real payloads stay far shallower.
 */
export const MAX_JSON_DEPTH = 64;
/** Longest accepted messageId; longer ones are rejected rather than truncated (truncation could collide). */
export const MAX_MESSAGE_ID_LENGTH = 200;

export type JsonObject = { [key: string]: unknown };

/** Segment's trait operations, carried in `context.traitOps` of identify/group. */
export interface TraitOps {
  /** Traits written only when the profile does not hold them yet. */
  setOnce?: JsonObject;
  /** Trait names to remove (same as sending the trait with `null`). */
  unset?: string[];
}

export interface Message {
  type: MessageType;
  messageId?: string;
  anonymousId?: string | null;
  userId?: string | null;
  /** When the event happened, by the sender's clock (ISO 8601). */
  timestamp?: string;
  /** When the sender sent it, by the same clock; used to correct clock skew. */
  sentAt?: string;
  context?: JsonObject;
  integrations?: JsonObject;
  /** track */
  event?: string;
  /** page, screen */
  name?: string;
  category?: string;
  /** track, page, screen */
  properties?: JsonObject;
  /** identify, group */
  traits?: JsonObject;
  /** group */
  groupId?: string;
  /** alias */
  previousId?: string;
}

export interface Batch {
  batch: Message[];
  sentAt?: string;
  /** For senders that cannot set headers (navigator.sendBeacon). */
  writeKey?: string;
}

/** One message the collector refused; its neighbours in the batch were still stored. */
export interface Rejection {
  index: number;
  messageId: string | null;
  code: string;
  message: string;
  /** The offending field, when one field is to blame. */
  field?: string;
}

/** 200 answer of the ingest routes. */
export interface IngestResult {
  ok: true;
  accepted: number;
  rejected: Rejection[];
}

/** Every error the collector returns has this body. */
export interface ErrorBody {
  error: { code: string; message: string; field?: string };
}

import {
  MAX_JSON_DEPTH,
  MAX_MESSAGE_BYTES,
  MAX_MESSAGE_ID_LENGTH,
  MESSAGE_TYPES,
  type JsonObject,
  type Message,
  type MessageType,
} from '../../../sdk/src/contract';
import { exceedsDepth } from './json-depth';
import { wellFormedMessage } from './well-formed';

/** What is known of the JSON text a message was parsed from; lets validation skip work that cannot find anything. */
export interface MessageSource {
  /** An upper bound on that text's UTF-8 size: when it is under the per-message cap, so is every message in it. */
  maxBytes?: number;
  /** The text has no `\uD800`-`\uDFFF` escape, so no parsed string can hold a lone surrogate. */
  noSurrogateEscapes?: boolean;
}

/** Facts about a request body for `validateMessage` (one regex pass over the text). */
export function describeSource(text: string): MessageSource {
  // A UTF-16 code unit is at most 3 UTF-8 bytes.
  return { maxBytes: text.length * 3, noSurrogateEscapes: !/\\u[dD][89a-fA-F]/.test(text) };
}

export type Validation =
  | { ok: true; message: Message }
  | { ok: false; code: string; message: string; field?: string };

const MAX_ID_LENGTH = 1024;
const MAX_NAME_LENGTH = 1024;

const isObject = (v: unknown): v is JsonObject => v !== null && typeof v === 'object' && !Array.isArray(v);
const invalid = (field: string, message: string, code = 'invalid_field'): Validation => ({
  ok: false,
  code,
  message,
  field,
});

/**
 * Checks one Spec message and returns a cleaned copy (ids coerced to strings, the type
 * taken from the route when the route names it). Pure: the same input always gives the
 * same answer, so a rejection can be reproduced from the payload alone.
 *
 * @example
 * validateMessage({ type: 'track', event: 'Signed Up', userId: 42 })
 * // -> { ok: true, message: { type: 'track', event: 'Signed Up', userId: '42' } }
 */
export function validateMessage(raw: unknown, routeType?: MessageType, source: MessageSource = {}): Validation {
  if (!isObject(raw)) return invalid('', 'Each message must be a JSON object', 'invalid_message');
  const size = messageSize(raw, source);
  if (size > MAX_MESSAGE_BYTES) {
    return invalid('', `Message is ${size} bytes; the limit is ${MAX_MESSAGE_BYTES}`, 'message_too_large');
  }
  const type = routeType ?? raw.type;
  if (typeof type !== 'string' || !(MESSAGE_TYPES as readonly string[]).includes(type)) {
    return invalid('type', `type must be one of ${MESSAGE_TYPES.join(', ')}`);
  }
  const message: Message = { ...(raw as unknown as Message), type: type as MessageType };

  for (const field of ['userId', 'anonymousId', 'groupId', 'previousId'] as const) {
    const value = raw[field];
    // An empty string is no id: analytics-kotlin and RudderStack send userId "" before identify.
    if (value === undefined || value === null || value === '') {
      delete message[field];
      continue;
    }
    if (typeof value === 'number' && Number.isFinite(value)) message[field] = String(value);
    else if (typeof value !== 'string') return invalid(field, `${field} must be a string`);
    if (String(message[field]).length > MAX_ID_LENGTH) return invalid(field, `${field} is longer than ${MAX_ID_LENGTH}`);
  }

  if (raw.messageId !== undefined && raw.messageId !== null) {
    if (typeof raw.messageId !== 'string' || raw.messageId.trim() === '') {
      return invalid('messageId', 'messageId must be a non-empty string');
    }
    if (raw.messageId.length > MAX_MESSAGE_ID_LENGTH) {
      return invalid('messageId', `messageId is longer than ${MAX_MESSAGE_ID_LENGTH}`);
    }
  } else {
    delete message.messageId;
  }

  for (const field of ['timestamp', 'sentAt', 'originalTimestamp'] as const) {
    const value = raw[field];
    if (value === undefined || value === null) continue;
    if (typeof value !== 'string' || Number.isNaN(Date.parse(value))) {
      return invalid(field, `${field} must be an ISO 8601 date string`);
    }
  }

  for (const field of ['context', 'properties', 'traits', 'integrations'] as const) {
    const value = raw[field];
    if (value === undefined || value === null) {
      delete message[field];
      continue;
    }
    if (!isObject(value)) return invalid(field, `${field} must be an object`);
    if (exceedsDepth(value, MAX_JSON_DEPTH - 1)) {
      return invalid(field, `${field} is nested deeper than ${MAX_JSON_DEPTH} levels`, 'too_deep');
    }
  }

  for (const field of ['event', 'name', 'category'] as const) {
    const value = raw[field];
    if (value === undefined || value === null) continue;
    if (typeof value !== 'string') return invalid(field, `${field} must be a string`);
    if (value.length > MAX_NAME_LENGTH) return invalid(field, `${field} is longer than ${MAX_NAME_LENGTH}`);
  }

  return checkRequiredFields(source.noSurrogateEscapes ? message : wellFormedMessage(message));
}

/** UTF-8 size of a message, exact whenever it could be over the cap (the only case that needs a number). */
function messageSize(raw: JsonObject, source: MessageSource): number {
  if (source.maxBytes !== undefined && source.maxBytes <= MAX_MESSAGE_BYTES) return source.maxBytes;
  const text = JSON.stringify(raw);
  // As in describeSource: most messages are known to fit without encoding them.
  return text.length * 3 <= MAX_MESSAGE_BYTES ? text.length : new TextEncoder().encode(text).byteLength;
}

function checkRequiredFields(message: Message): Validation {
  const traits = message.traits ?? {};
  const hasId = Boolean(message.userId || message.anonymousId);
  switch (message.type) {
    case 'track':
      if (!message.event || !message.event.trim()) return invalid('event', 'track needs a non-empty event name');
      break;
    case 'group':
      if (!message.groupId) return invalid('groupId', 'group needs a groupId');
      break;
    case 'alias':
      if (!message.userId) return invalid('userId', 'alias needs the userId to link to');
      if (!message.previousId) return invalid('previousId', 'alias needs a previousId');
      return { ok: true, message };
    case 'identify':
      // CRM exports often know only an email or a phone; those identify a person too.
      if (!hasId && (typeof traits.email === 'string' || typeof traits.phone === 'string')) return { ok: true, message };
      break;
  }
  if (!hasId) return invalid('userId', 'Either userId or anonymousId is required', 'missing_id');
  return { ok: true, message };
}

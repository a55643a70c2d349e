import type { StoredEvent } from './normalise';

// The JSON text each event came out of the inbox as. Weak: an event and its text go together.
const texts = new WeakMap<StoredEvent, string>();

/**
 * An inbox row's event, remembering the text it was parsed from so that storing it in D1 sends
 * that text instead of encoding the event again (`eventJson`). The event is frozen: the text stays
 * its JSON only while nothing changes it, and the resolver never does (it reads events and builds
 * new objects). Freezing makes a change throw instead of storing stale text.
 *
 * @example
 * const event = parseStoredEvent(row.body);
 * eventJson(event) === row.body // -> true
 */
export function parseStoredEvent(text: string): StoredEvent {
  const event = Object.freeze(JSON.parse(text) as StoredEvent);
  texts.set(event, text);
  return event;
}

/**
 * The JSON text of a stored event: the inbox text it was parsed from, or else its encoding now.
 *
 * @example
 * eventJson(fromArchiveLine(line)) // -> JSON.stringify of the event
 */
export function eventJson(event: StoredEvent): string {
  return texts.get(event) ?? JSON.stringify(event);
}

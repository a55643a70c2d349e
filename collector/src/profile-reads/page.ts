import { deflateRawSync, inflateRawSync } from 'node:zlib';
import type { TimelineEvent } from '../store/profiles';
import { cursorOfLine, eventLine, PAGE_HEAD, pageTail } from './answers';

/**
 * A timeline page as the read store keeps it: each event as the API answers it (one JSON text per
 * line, newest first), deflated. A read inflates it (synchronously, some microseconds for a page)
 * and cuts the first `limit` lines out of the text: no JSON parse and no re-serialising of the
 * events, which was most of a read's work when the page was kept as the rows (gzip streams, parse,
 * stringify). Events repeat their context (page, user agent, campaign), so a page of the bench's
 * events packs about 10:1, which keeps a store of every profile well inside a Durable Object.
 *
 * @example
 * const packed = packPage(rows);           // rows: TimelineEvent[], newest first
 * pageBody(packed, 20, 51)                 // -> the UTF-8 of '{"data":[…20 events…],"cursor":{…}}', or null
 */
export function packPage(rows: readonly TimelineEvent[]): ArrayBuffer {
  // JSON.stringify escapes every newline inside a string, so '\n' only ever separates events.
  const packed = deflateRawSync(rows.map(eventLine).join('\n'));
  // SQLite takes an ArrayBuffer, and a Buffer may be a view of a larger one.
  return packed.buffer.byteLength === packed.byteLength ? (packed.buffer as ArrayBuffer) : packed.buffer.slice(packed.byteOffset, packed.byteOffset + packed.byteLength);
}

/**
 * The body of the first page of `limit` events from a packed page read with `fetched` rows asked
 * for, as UTF-8 bytes, or null when the page cannot answer it (it holds exactly `limit` rows or
 * fewer, and as many as were asked for: there may be more than it holds). Bytes, not a string: the
 * inflated page is UTF-8 already, and the answer leaves the object and the Worker as UTF-8, so a
 * string would be decoded here and encoded again for the response (and copied across the call).
 * A newline byte only ever separates events (JSON escapes it inside strings, and UTF-8 never uses
 * 0x0a inside a character), so the lines are found and joined with commas in place.
 */
export function pageBody(packed: ArrayBuffer | Uint8Array, limit: number, fetched: number): Uint8Array<ArrayBuffer> | null {
  const text = inflateRawSync(packed);
  // No events at all: an empty last page (a page is never kept from a read that asked for none).
  if (text.length === 0) return wrap(new Uint8Array(0), null);
  // Where the limit-th line ends (-1: the page has no more than `limit` lines).
  let end = -1;
  let lines = 0;
  let lastStart = 0;
  for (let at = 0; lines < limit; lines++) {
    end = text.indexOf(NEWLINE, at);
    if (end === -1) break;
    lastStart = at;
    at = end + 1;
    if (lines < limit - 1) text[end] = COMMA;
  }
  if (end === -1) {
    // lines + 1 events in all: whole only when fewer came back than were asked for.
    return lines + 1 < fetched ? wrap(text, null) : null;
  }
  const events = text.subarray(0, end);
  return wrap(events, cursorOfLine(text.toString('utf8', lastStart, end)));
}

const NEWLINE = 0x0a;
const COMMA = 0x2c;
const utf8 = new TextEncoder();
const HEAD = utf8.encode(PAGE_HEAD);

/** `pageText` around events already joined with commas, as bytes. */
function wrap(events: Uint8Array, next: string | null): Uint8Array<ArrayBuffer> {
  const tail = utf8.encode(pageTail(next)) as Uint8Array<ArrayBuffer>;
  const body = new Uint8Array(HEAD.length + events.length + tail.length);
  body.set(HEAD);
  body.set(events, HEAD.length);
  body.set(tail, HEAD.length + events.length);
  return body;
}

import { deflateRawSync, inflateRawSync } from 'node:zlib';
import type { TimelineEvent } from '../store/profiles';
import { cursorOfLine, eventLine, pageText } from './answers';

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
 * pageBody(packed, 20, 51)                 // -> '{"data":[…20 events…],"cursor":{…}}', or null
 */
export function packPage(rows: readonly TimelineEvent[]): ArrayBuffer {
  // JSON.stringify escapes every newline inside a string, so '\n' only ever separates events.
  const packed = deflateRawSync(rows.map(eventLine).join('\n'));
  // SQLite takes an ArrayBuffer, and a Buffer may be a view of a larger one.
  return packed.buffer.byteLength === packed.byteLength ? (packed.buffer as ArrayBuffer) : packed.buffer.slice(packed.byteOffset, packed.byteOffset + packed.byteLength);
}

/**
 * The body of the first page of `limit` events from a packed page read with `fetched` rows asked
 * for, or null when the page cannot answer it (it holds exactly `limit` rows or fewer, and as many
 * as were asked for: there may be more than it holds).
 */
export function pageBody(packed: ArrayBuffer | Uint8Array, limit: number, fetched: number): string | null {
  const text = inflateRawSync(packed).toString('utf8');
  // No events at all: an empty last page (a page is never kept from a read that asked for none).
  if (text === '') return pageText('', null);
  // Where the limit-th line ends (-1: the page has no more than `limit` lines).
  let end = -1;
  let lines = 0;
  for (let at = 0; lines < limit; lines++) {
    end = text.indexOf('\n', at);
    if (end === -1) break;
    at = end + 1;
  }
  if (end === -1) {
    // lines + 1 events in all: whole only when fewer came back than were asked for.
    return lines + 1 < fetched ? pageText(text.replaceAll('\n', ','), null) : null;
  }
  const page = text.slice(0, end);
  return pageText(page.replaceAll('\n', ','), cursorOfLine(page.slice(page.lastIndexOf('\n') + 1)));
}

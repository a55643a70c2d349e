/**
 * A random RFC 4122 version 4 UUID. crypto.randomUUID exists only in secure contexts, so this
 * uses getRandomValues, which every browser has on plain http too.
 *
 * @example
 * uuid() // -> "3b241101-e2bb-4255-8caf-4136c566a962"
 */
export function uuid(): string {
  // One call for all the randomness: getRandomValues per digit cost more than the rest of a track().
  const random = crypto.getRandomValues(new Uint8Array(31));
  let i = 0;
  return '10000000-1000-4000-8000-100000000000'.replace(/[018]/g, (c) => (+c ^ (random[i++]! & (15 >> (+c / 4)))).toString(16));
}

let sequence = 0;
let page: string | undefined;

/**
 * A messageId that sorts by creation time (base-36 milliseconds, then a per-page counter), so
 * the queue, keyed by it in IndexedDB, reads oldest first; a UUID drawn once per page load makes
 * it unique across pages and tabs (the counter within the page), and costs a call nothing.
 *
 * @example
 * messageId(Date.now()) // -> "0mibk2x3c0001-3b241101-e2bb-4255-8caf-4136c566a962"
 */
export const messageId = (now: number): string =>
  now.toString(36).padStart(9, '0') + (sequence++ % 1679616).toString(36).padStart(4, '0') + '-' + (page ??= uuid());

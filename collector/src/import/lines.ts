/** Longest line an import keeps; a message is at most 32 KB, a contact row far less. */
export const MAX_LINE_CHARS = 64 * 1024;

/** Yielded in place of a line longer than the cap: its text was dropped as it arrived. */
export const LINE_TOO_LONG = Symbol('line too long');

/**
 * Splits a byte stream into text lines as they arrive, so an import of any size is processed
 * with bounded memory and time: each byte is scanned once, and a line past `maxChars` is
 * skipped to its end (one LINE_TOO_LONG in its place) instead of growing without bound.
 * Handles \n and \r\n; the last line needs no newline.
 *
 * @example
 * readLines(stream of 'a\r\nb') // yields 'a', 'b'
 */
export async function* readLines(stream: ReadableStream<Uint8Array>, maxChars = MAX_LINE_CHARS): AsyncGenerator<string | typeof LINE_TOO_LONG> {
  const decoder = new TextDecoder();
  const reader = stream.getReader();
  let pending = '';
  let skipping = false;
  for (;;) {
    const { done, value } = await reader.read();
    let text = done ? decoder.decode() : decoder.decode(value, { stream: true });
    for (let newline = text.indexOf('\n'); newline >= 0; newline = text.indexOf('\n')) {
      const line = (pending + text.slice(0, newline)).replace(/\r$/, '');
      text = text.slice(newline + 1);
      yield skipping || line.length > maxChars ? LINE_TOO_LONG : line;
      pending = '';
      skipping = false;
    }
    // (+1: the line's \r may still be in there)
    if (!skipping && pending.length + text.length > maxChars + 1) {
      skipping = true;
      pending = '';
    }
    if (!skipping) pending += text;
    if (done) break;
  }
  const last = pending.replace(/\r$/, '');
  if (skipping || last.length > maxChars) yield LINE_TOO_LONG;
  else if (last !== '') yield last;
}

/**
 * Splits a byte stream into text lines as they arrive, so an import of any size is processed
 * with bounded memory. Handles \n and \r\n; the last line needs no newline.
 */
export async function* readLines(stream: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  const decoder = new TextDecoder();
  let pending = '';
  const reader = stream.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    pending += done ? decoder.decode() : decoder.decode(value, { stream: true });
    let newline: number;
    while ((newline = pending.indexOf('\n')) >= 0) {
      yield pending.slice(0, newline).replace(/\r$/, '');
      pending = pending.slice(newline + 1);
    }
    if (done) break;
  }
  if (pending !== '') yield pending.replace(/\r$/, '');
}

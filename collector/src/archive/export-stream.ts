import type { ArchiveLine } from './line';
import { factsOf, listArchive, objectLines } from './objects';
import type { TimeRange } from './time-range';

/** Says whether an archived event may still be read (erasure tombstones), or null when nothing was erased. */
export type LineFilter = ((line: ArchiveLine) => boolean | Promise<boolean>) | null;

// Filtered lines are handed on in slices of about this many characters (not one chunk per line).
const SLICE_CHARS = 64 * 1024;

/**
 * The NDJSON of every archived event of a workspace received in the range, object by object. An
 * object wholly inside the range, when nothing is erased, passes through as its decompressed
 * bytes (no parsing); otherwise each line is parsed and kept when its `receivedAt` is in the
 * range and the filter lets it through. Memory holds one chunk, whatever the archive's size.
 *
 * @example
 * for await (const chunk of exportChunks(env.ARCHIVE, 'ws_1', { from: -Infinity, to: Infinity }, null)) write(chunk);
 */
export async function* exportChunks(bucket: R2Bucket, workspaceId: string, range: TimeRange, keep: LineFilter): AsyncGenerator<Uint8Array | string> {
  const encoder = new TextEncoder();
  for await (const listed of listArchive(bucket, workspaceId, range)) {
    const object = await bucket.get(listed.key);
    if (!object) continue; // emptied by an erasure since the listing
    const facts = factsOf(listed);
    if (keep === null && facts && facts.minReceivedAt >= range.from && facts.maxReceivedAt < range.to) {
      yield* object.body.pipeThrough(new DecompressionStream('gzip')) as unknown as AsyncIterable<Uint8Array>;
      continue;
    }
    let slice = '';
    for await (const text of objectLines(object.body)) {
      const line = JSON.parse(text) as ArchiveLine;
      const at = Date.parse(line.receivedAt);
      if (at < range.from || at >= range.to || (keep && !(await keep(line)))) continue;
      slice += `${text}\n`;
      if (slice.length >= SLICE_CHARS) {
        yield encoder.encode(slice);
        slice = '';
      }
    }
    if (slice) yield encoder.encode(slice);
  }
}

/**
 * A byte stream that pulls from an async generator only as fast as the reader takes it
 * (backpressure), and stops the generator when the reader goes away.
 */
export function pullStream(chunks: AsyncGenerator<Uint8Array | string>): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const { value, done } = await chunks.next();
      if (done) controller.close();
      else controller.enqueue(typeof value === 'string' ? encoder.encode(value) : value);
    },
    async cancel() {
      await chunks.return(undefined);
    },
  }, { highWaterMark: 1 });
}

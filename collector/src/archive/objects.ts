import { gzipSync } from 'node:zlib';
import type { StoredEvent } from '../ingest/normalise';
import { byPartition, hourOfKey, HOUR_MS, listStartAfter, objectKey, workspacePrefix } from './layout';
import { toArchiveLine, type ArchiveLine } from './line';

/** What an archive object says about itself (R2 custom metadata), so a reader can skip or pass it through. */
export interface ObjectFacts {
  events: number;
  minReceivedAt: number;
  maxReceivedAt: number;
}

const GZIP_TYPE = 'application/gzip';

/**
 * Gzip of a text, whole (one archive object is at most one resolver batch, a few MB). The archive
 * is written on the resolver's own thread behind every batch, so its CPU is the resolver's:
 * node:zlib in one call took a quarter to a third of the time of a CompressionStream pipeline (a
 * Blob's stream through it into a Response) for the same bytes, zlib's default level 6 in both.
 * Level 1 would halve it again, but made bench/archive's events 30% larger (86 bytes, not 66).
 */
export async function gzipText(text: string): Promise<ArrayBuffer> {
  const gz = gzipSync(text);
  return gz.buffer.slice(gz.byteOffset, gz.byteOffset + gz.byteLength) as ArrayBuffer;
}

/** NDJSON of archive lines: one JSON object per line, newline-terminated. */
export const ndjson = (lines: readonly ArchiveLine[]) => lines.map((l) => `${JSON.stringify(l)}\n`).join('');

/** One archive object of a batch: its key and its events, in line order. */
export interface PlannedObject {
  key: string;
  events: readonly StoredEvent[];
}

/**
 * The archive objects a batch of stored events (in arrival order) goes to: one per receive hour,
 * named by the first event of that hour (`nameOf`, the inbox's batchName of its row). Pure, so each
 * event's place in them (archive/places.ts) is stored with the batch's D1 write before they are put.
 *
 * @example
 * archiveObjects('ws_1', storedEvents, (e) => batchName(seqOf(e), generation)) // -> [{ key: 'events/ws_1/dt=.../hour=09/...', events }]
 */
export function archiveObjects(workspaceId: string, events: readonly StoredEvent[], nameOf: (first: StoredEvent) => string): PlannedObject[] {
  return [...byPartition(events).values()].map((group) => ({ key: objectKey(workspaceId, group[0].receivedAt, nameOf(group[0])), events: group }));
}

/**
 * Writes a batch of stored events (in arrival order) to the archive: the objects archiveObjects
 * names, one gzip NDJSON object per receive hour. Writing a batch again, or a batch that starts
 * with the same rows, overwrites the same objects (R2 puts are atomic per object): that is what
 * makes a replayed batch archive each messageId once.
 *
 * @example
 * await writeArchiveBatch(env.ARCHIVE, 'ws_1', storedEvents, (e) => batchName(seqOf(e), generation));
 */
export async function writeArchiveBatch(
  bucket: R2Bucket,
  workspaceId: string,
  events: readonly StoredEvent[],
  nameOf: (first: StoredEvent) => string,
): Promise<{ objects: number; bytes: number }> {
  return putArchiveObjects(bucket, archiveObjects(workspaceId, events, nameOf));
}

/** Puts planned archive objects (archiveObjects), each as gzip NDJSON of its events' archive lines. */
export async function putArchiveObjects(bucket: R2Bucket, objects: readonly PlannedObject[]): Promise<{ objects: number; bytes: number }> {
  let bytes = 0;
  await Promise.all(
    objects.map(async ({ key, events }) => {
      const body = await gzipText(ndjson(events.map(toArchiveLine)));
      bytes += body.byteLength;
      await putObject(bucket, key, body, events);
    }),
  );
  return { objects: objects.length, bytes };
}

/** Puts one object with the facts a reader needs to skip or pass it through unparsed. */
export async function putObject(bucket: R2Bucket, key: string, gzipped: ArrayBuffer, events: readonly { receivedAt: number }[]): Promise<void> {
  let min = Infinity;
  let max = -Infinity;
  for (const e of events) {
    min = Math.min(min, e.receivedAt);
    max = Math.max(max, e.receivedAt);
  }
  await bucket.put(key, gzipped, {
    httpMetadata: { contentType: GZIP_TYPE },
    customMetadata: { events: String(events.length), minReceivedAt: String(min), maxReceivedAt: String(max) },
  });
}

/** The facts of a listed object (objects without them count as unknown: read and filter every line). */
export function factsOf(o: { customMetadata?: Record<string, string> }): ObjectFacts | null {
  const m = o.customMetadata;
  if (!m?.events) return null;
  return { events: Number(m.events), minReceivedAt: Number(m.minReceivedAt), maxReceivedAt: Number(m.maxReceivedAt) };
}

/**
 * The workspace's archive objects that may hold events received in [from, to), in key order
 * (hour by hour, and within an hour in arrival order), listed a page at a time (`pageSize`, R2's
 * default 1,000). Pass `after` to continue after a key (a resumable job's cursor).
 */
export async function* listArchive(
  bucket: R2Bucket,
  workspaceId: string,
  range: { from?: number; to?: number; after?: string; pageSize?: number } = {},
): AsyncGenerator<R2Object> {
  const from = range.from ?? -Infinity;
  const to = range.to ?? Infinity;
  const start = listStartAfter(workspaceId, from);
  let startAfter = range.after !== undefined && (start === undefined || range.after > start) ? range.after : start;
  let cursor: string | undefined;
  for (;;) {
    // `include` is a documented R2 list option that these workers-types leave out: without it the
    // listing carries no custom metadata.
    const options = { prefix: workspacePrefix(workspaceId), cursor, startAfter: cursor ? undefined : startAfter, limit: range.pageSize, include: ['customMetadata'] };
    const page = await bucket.list(options as R2ListOptions);
    for (const o of page.objects) {
      const hour = hourOfKey(o.key);
      if (hour === null) continue;
      // Keys sort by hour: the first one at or past `to` ends the listing.
      if (hour >= to) return;
      if (hour + HOUR_MS > from) yield o;
    }
    if (!page.truncated) return;
    cursor = page.cursor;
    startAfter = undefined;
  }
}

/**
 * The lines of one archive object, decompressed as they stream in: memory holds one chunk and one
 * line, whatever the object's size.
 */
export async function* objectLines(body: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  const text = body.pipeThrough(new DecompressionStream('gzip')).pipeThrough(new TextDecoderStream());
  let carry = '';
  for await (const chunk of text as unknown as AsyncIterable<string>) {
    carry += chunk;
    let nl: number;
    while ((nl = carry.indexOf('\n')) >= 0) {
      const line = carry.slice(0, nl);
      carry = carry.slice(nl + 1);
      if (line.length > 0) yield line;
    }
  }
  if (carry.length > 0) yield carry;
}

/** The parsed lines of an archive object, or none when it is gone (an erasure emptied it). */
export async function* readObject(bucket: R2Bucket, key: string): AsyncGenerator<ArchiveLine> {
  const object = await bucket.get(key);
  if (!object) return;
  for await (const line of objectLines(object.body)) yield JSON.parse(line) as ArchiveLine;
}

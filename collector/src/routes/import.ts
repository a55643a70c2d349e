import { Hono } from 'hono';
import type { Rejection } from '../../../sdk/src/contract';
import { hashKey } from '../auth/keys';
import { authenticateWriteKey } from '../auth/write-key';
import type { AppEnv } from '../env';
import { decodedBody } from '../http/body';
import { ApiError, badRequest } from '../http/errors';
import { contactToMessage } from '../import/contacts';
import { CsvRecordReader } from '../import/csv';
import { LINE_TOO_LONG, MAX_LINE_CHARS, readLines } from '../import/lines';
import { acceptMessages } from '../ingest/pipeline';
import { requestFacts } from '../ingest/request-facts';

/** Largest import body; bigger files are split by the sender (re-importing a file is idempotent). */
export const MAX_IMPORT_BYTES = 50 * 1024 * 1024;
const CHUNK_MESSAGES = 250;
const MAX_REPORTED_REJECTIONS = 100;

/**
 * Bulk import for CRM exports and offline sources: NDJSON of Spec messages or CSV of contacts.
 * Rows are streamed through the same pipeline as live events in chunks; the answer summarises
 * them, with `row` numbers counted from 1 (the CSV header is row 0).
 */
export const importRoutes = new Hono<AppEnv>();

importRoutes.post('/', async (c) => {
  const workspace = await authenticateWriteKey(c.env, {
    authorization: c.req.header('authorization'),
    queryKey: c.req.query('writeKey'),
  });
  const format = importFormat(c.req.query('format'), c.req.header('content-type'));
  if (Number(c.req.header('content-length')) > MAX_IMPORT_BYTES) throw tooLarge();
  const body = decodedBody(c.req.raw);
  if (!body) throw badRequest('empty_import', 'The import body is empty');

  const facts = requestFacts(c.req.raw, workspace.settings.ipPolicy);
  const summary = { ok: true as const, format, rows: 0, accepted: 0, rejectedCount: 0, rejected: [] as Rejection[] };
  let pending: { row: number; message: unknown }[] = [];
  const reject = (r: Rejection) => {
    summary.rejectedCount++;
    if (summary.rejected.length < MAX_REPORTED_REJECTIONS) summary.rejected.push(r);
  };
  const flush = async () => {
    if (pending.length === 0) return;
    const chunk = pending;
    pending = [];
    const result = await acceptMessages(c.env, { workspace, messages: chunk.map((p) => p.message), receivedAt: Date.now(), facts });
    summary.accepted += result.accepted;
    for (const r of result.rejected) reject({ ...r, index: chunk[r.index].row });
  };

  let bytes = 0;
  // Counted after decompression: the limit is on what is stored, whatever the wire size.
  const counted = body.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        bytes += chunk.byteLength;
        if (bytes > MAX_IMPORT_BYTES) controller.error(tooLarge());
        else controller.enqueue(chunk);
      },
    }),
  );

  const rows = format === 'csv' ? csvMessages(counted) : ndjsonMessages(counted);
  for (;;) {
    let next: IteratorResult<Row>;
    try {
      next = await rows.next();
    } catch (err) {
      // The input went wrong at this point (too large, a CSV row that never ends, data that does
      // not decompress): what came before it is stored, as the error message says.
      if (err instanceof ApiError) await flush();
      throw err;
    }
    if (next.done) break;
    const item = next.value;
    summary.rows++;
    if ('rejection' in item) reject(item.rejection);
    else pending.push(item);
    if (pending.length >= CHUNK_MESSAGES) await flush();
  }
  await flush();
  return c.json(summary);
});

type Row = { row: number; message: unknown } | { rejection: Rejection };

async function* ndjsonMessages(stream: ReadableStream<Uint8Array>): AsyncGenerator<Row> {
  let row = 0;
  for await (const line of readLines(stream)) {
    row++;
    if (line === LINE_TOO_LONG) {
      yield { rejection: { index: row, messageId: null, code: 'message_too_large', message: `Line is over ${MAX_LINE_CHARS} characters` } };
      continue;
    }
    if (line.trim() === '') continue;
    try {
      yield { row, message: JSON.parse(line) };
    } catch {
      yield { rejection: { index: row, messageId: null, code: 'invalid_json', message: 'Line is not valid JSON' } };
    }
  }
}

async function* csvMessages(stream: ReadableStream<Uint8Array>): AsyncGenerator<Row> {
  const csv = new CsvRecordReader();
  let header: string[] | null = null;
  let row = 0;
  // A record may span lines (quoted newlines), so it is bounded as a whole: an unterminated quote
  // would otherwise gather the rest of the file.
  let recordChars = 0;
  for await (const line of readLines(stream)) {
    if (line !== LINE_TOO_LONG) recordChars += line.length + 1;
    if (line === LINE_TOO_LONG || recordChars > MAX_LINE_CHARS) {
      throw badRequest('invalid_csv', `Row ${row + 1} is over ${MAX_LINE_CHARS} characters (an unterminated quote?); the rows before it were imported`, 'row');
    }
    const record = csv.push(line);
    if (!record) continue;
    recordChars = 0;
    if (!header) {
      header = record.map((h) => h.trim());
      if (!header.some((h) => /^(user_?id|email|phone|anonymous_?id)$/i.test(h))) {
        throw badRequest('invalid_csv', 'The CSV header needs a userId, email, phone or anonymousId column', 'header');
      }
      continue;
    }
    row++;
    if (record.every((cell) => cell.trim() === '')) continue;
    const message = contactToMessage(header, record);
    // The same row imported twice is the same message: re-importing a file stores nothing new.
    message.messageId = `csv-${(await hashKey(record.join('\u0000'))).slice(0, 32)}`;
    yield { row, message };
  }
  if (csv.unterminated) {
    yield { rejection: { index: row + 1, messageId: null, code: 'invalid_csv', message: 'Unterminated quoted field' } };
  }
  if (!header) throw badRequest('invalid_csv', 'The CSV has no header row', 'header');
}

function importFormat(query: string | undefined, contentType: string | undefined): 'csv' | 'ndjson' {
  if (query === 'csv' || query === 'ndjson') return query;
  if (query !== undefined) throw badRequest('invalid_field', 'format must be csv or ndjson', 'format');
  return /text\/csv/i.test(contentType ?? '') ? 'csv' : 'ndjson';
}

function tooLarge() {
  return new ApiError(413, 'payload_too_large', `Import body exceeds ${MAX_IMPORT_BYTES} bytes`);
}

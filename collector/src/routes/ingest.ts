import { Hono, type Context } from 'hono';
import { MAX_BATCH_BYTES, MESSAGE_TYPES, type IngestResult, type MessageType } from '../../../sdk/src/contract';
import { authenticateWriteKey } from '../auth/write-key';
import type { AppEnv } from '../env';
import { parseJsonObject, readBodyText } from '../http/body';
import { openIngestCors } from '../http/ingest-cors';
import { ApiError, badRequest } from '../http/errors';
import { ServerTiming } from '../http/server-timing';
import { acceptMessages } from '../ingest/pipeline';
import { describeSource } from '../ingest/validate';
import { requestFacts } from '../ingest/request-facts';

/** Segment-compatible ingestion: /v1/batch and one route per message type. Open to any origin. */
export const ingestRoutes = new Hono<AppEnv>();

// CORS is opened route by route: this sub-app is mounted under /v1 beside the secret-key routes.
const openCors = openIngestCors(['POST']);
for (const path of ['/batch', ...MESSAGE_TYPES.map((t) => `/${t}`)]) ingestRoutes.use(path, openCors);

ingestRoutes.post('/batch', async (c) => c.json(await ingestRequest(c, unpackBatch)));

for (const type of MESSAGE_TYPES) {
  ingestRoutes.post(`/${type}`, async (c) => c.json(oneMessageAnswer(await ingestRequest(c, unpackOne(type)))));
}

/** A batch body: `{batch: [...], sentAt?}`. */
export function unpackBatch(body: Record<string, unknown>): Unpacked {
  if (!Array.isArray(body.batch)) throw badRequest('invalid_batch', 'batch must be an array of messages', 'batch');
  return { messages: body.batch, batchSentAt: typeof body.sentAt === 'string' ? body.sentAt : undefined };
}

/** A one-message body of a route that names the type (`/v1/track`); a `writeKey` field is the key, not data. */
export const unpackOne =
  (type: MessageType) =>
  ({ writeKey: _key, ...message }: Record<string, unknown>): Unpacked => ({ messages: [message], routeType: type });

/** One message per request: its rejection is the request's error. */
export function oneMessageAnswer(result: IngestResult): IngestResult {
  const [rejection] = result.rejected;
  if (rejection) throw new ApiError(400, rejection.code, rejection.message, rejection.field);
  return result;
}

export interface Unpacked {
  messages: unknown[];
  batchSentAt?: string;
  routeType?: MessageType;
}

/**
 * Body (500 KB cap) -> JSON -> write key -> messages -> validated and durable in the inbox -> answer:
 * the one entry of every ingest route, ours and the Segment/RudderStack-compatible ones.
 *
 * @example
 * routes.post('/b', async (c) => c.json(await ingestRequest(c, unpackBatch)));
 */
export async function ingestRequest(
  c: Context<AppEnv>,
  unpack: (body: Record<string, unknown>) => Unpacked,
): Promise<IngestResult> {
  const receivedAt = Date.now();
  const text = await readBodyText(c.req.raw, MAX_BATCH_BYTES);
  const body = parseJsonObject(text);
  const timing = new ServerTiming();
  const workspace = await timing.time('auth', () =>
    authenticateWriteKey(c.env, {
      authorization: c.req.header('authorization'),
      bodyKey: body.writeKey,
      queryKey: c.req.query('writeKey'),
    }),
  );
  const { messages, batchSentAt, routeType } = unpack(body);
  const result = await acceptMessages(c.env, {
    workspace,
    messages,
    receivedAt,
    batchSentAt,
    routeType,
    facts: requestFacts(c.req.raw, workspace.settings.ipPolicy),
    source: describeSource(text),
    timing,
  });
  timing.add('total', Date.now() - receivedAt);
  c.header('Server-Timing', timing.header());
  return result;
}

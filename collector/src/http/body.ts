import { ApiError, badRequest } from './errors';

// Server libraries may compress what they send (analytics-python with gzip=True, for one), and a
// Worker receives the body still compressed.
const DECODERS: Record<string, ConstructorParameters<typeof DecompressionStream>[0]> = { gzip: 'gzip', 'x-gzip': 'gzip', deflate: 'deflate' };

/**
 * The request body as sent, decompressed per its Content-Encoding (gzip or deflate), or null
 * when there is none. Any other encoding is refused with 415 naming the header, and data that
 * does not decompress fails the stream with a 400.
 */
export function decodedBody(req: Request, encoding = contentEncoding(req)): ReadableStream<Uint8Array> | null {
  if (!req.body || encoding === null) return req.body;
  const reader = req.body.pipeThrough(new DecompressionStream(DECODERS[encoding])).getReader();
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const { done, value } = await reader.read();
        if (done) controller.close();
        else controller.enqueue(value);
      } catch {
        controller.error(badRequest('invalid_encoding', `Request body is not valid ${encoding} data`, 'content-encoding'));
      }
    },
    cancel: (reason) => reader.cancel(reason),
  });
}

/** The request's Content-Encoding when it is one the collector decodes; null for none/identity. */
function contentEncoding(req: Request): string | null {
  const header = req.headers.get('content-encoding')?.trim().toLowerCase() ?? '';
  if (header === '' || header === 'identity') return null;
  if (Object.hasOwn(DECODERS, header)) return header;
  throw new ApiError(415, 'unsupported_encoding', `Content-Encoding "${header}" is not supported; send the body as is, or as gzip or deflate`, 'content-encoding');
}

/**
 * Reads a request body as text, refusing it with 413 as soon as it passes `limit` bytes,
 * without buffering more than that (a Content-Length header can be absent). A compressed
 * body counts by its decompressed size: a few KB of gzip can inflate to gigabytes.
 */
export async function readBodyText(req: Request, limit: number): Promise<string> {
  const header = req.headers.get('content-length');
  const declared = Number(header);
  if (declared > limit) throw tooLarge(limit);
  if (!req.body) return '';
  const encoding = contentEncoding(req);
  if (encoding === null && header !== null && Number.isSafeInteger(declared)) {
    // The runtime frames the body by its Content-Length, so it cannot outgrow what was declared,
    // and text() decodes natively: several times faster than collecting chunks here. The length
    // check stays as a second line (characters never outnumber bytes).
    const text = await req.text();
    if (text.length > limit) throw tooLarge(limit);
    return text;
  }
  const reader = decodedBody(req, encoding)!.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel();
      throw tooLarge(limit);
    }
    chunks.push(value);
  }
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return new TextDecoder().decode(bytes);
}

/** Parses JSON text into a plain object, or answers 400 naming what was wrong. */
export function parseJsonObject(text: string): Record<string, unknown> {
  if (text.trim() === '') throw badRequest('invalid_json', 'Request body is empty; expected a JSON object');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw badRequest('invalid_json', `Request body is not valid JSON: ${(err as Error).message}`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw badRequest('invalid_json', 'Request body must be a JSON object');
  }
  return value as Record<string, unknown>;
}

function tooLarge(limit: number) {
  return new ApiError(413, 'payload_too_large', `Request body exceeds ${limit} bytes`);
}

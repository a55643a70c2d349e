import { ApiError, badRequest } from './errors';

/**
 * Reads a request body as text, refusing it with 413 as soon as it passes `limit` bytes,
 * without buffering more than that (a Content-Length header can be absent).
 */
export async function readBodyText(req: Request, limit: number): Promise<string> {
  const header = req.headers.get('content-length');
  const declared = Number(header);
  if (declared > limit) throw tooLarge(limit);
  if (!req.body) return '';
  if (header !== null && Number.isSafeInteger(declared)) {
    // The runtime frames the body by its Content-Length, so it cannot outgrow what was declared,
    // and text() decodes natively: several times faster than collecting chunks here. The length
    // check stays as a second line (characters never outnumber bytes).
    const text = await req.text();
    if (text.length > limit) throw tooLarge(limit);
    return text;
  }
  const reader = req.body.getReader();
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

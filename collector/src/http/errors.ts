import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { ErrorBody } from '../../../sdk/src/contract';

/**
 * An error the API answers with on purpose. Rendered by `renderError` as
 * `{"error":{"code","message","field?"}}` with its status.
 */
export class ApiError extends Error {
  override name = 'ApiError';
  constructor(
    readonly status: ContentfulStatusCode,
    readonly code: string,
    message: string,
    readonly field?: string,
    readonly headers?: Record<string, string>,
  ) {
    super(message);
  }
}

export const badRequest = (code: string, message: string, field?: string) => new ApiError(400, code, message, field);
export const notFound = (message = 'Not found') => new ApiError(404, 'not_found', message);
export const unauthorized = (message: string) => new ApiError(401, 'unauthorized', message);
export const forbidden = (message: string) => new ApiError(403, 'forbidden', message);

/** D1 failed (down, overloaded, over a limit): the sender should retry later, nothing was stored. */
export const storageUnavailable = () =>
  new ApiError(503, 'storage_unavailable', 'Storage is unavailable; retry later', undefined, { 'Retry-After': '5' });

/** A write to a workspace whose data is being copied to another database (directory/move.ts). */
export const workspaceMoving = () =>
  new ApiError(503, 'workspace_moving', 'This workspace is moving to another database; writes resume when the copy is over. Retry later', undefined, { 'Retry-After': '30' });

export function errorBody(code: string, message: string, field?: string): ErrorBody {
  return { error: field ? { code, message, field } : { code, message } };
}

/** The one error renderer: known errors keep their status, anything else is a 500 without internals. */
export function renderError(err: Error, c: Context): Response {
  if (err instanceof ApiError) {
    return c.json(errorBody(err.code, err.message, err.field), err.status, err.headers);
  }
  console.error('unhandled error', c.req.method, c.req.path, err);
  return c.json(errorBody('internal', 'Internal error'), 500);
}

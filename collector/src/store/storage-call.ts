import { ApiError, storageUnavailable } from '../http/errors';

/**
 * Runs a D1 call and turns a storage failure into 503 + Retry-After, so senders retry
 * instead of dropping data. Errors the API raised on purpose pass through unchanged.
 */
export async function storageCall<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof ApiError) throw err;
    console.error('storage error', err);
    throw storageUnavailable();
  }
}

// Assertions shared by the compatibility end-to-end tests.
import { expect } from 'vitest';
import type { FailingProxy } from './failing-proxy';
import { messageIdsOf, posts, sentMessages, type compatReads } from './reads';

/** A proxy rule: fail the first POST whose path matches `pattern` with a 503, forward everything else. */
export const failFirst = (pattern: RegExp) => {
  let failed = false;
  return (req: { method: string; path: string }) => {
    if (failed || req.method !== 'POST' || !pattern.test(req.path)) return false;
    failed = true;
    return true;
  };
};

/** Every message the library sent (retries included) is stored exactly once. */
export async function expectEachStoredOnce(reads: ReturnType<typeof compatReads>, p: FailingProxy, expectedCount: number) {
  const sent = sentMessages(p.seen);
  expect(sent.size).toBe(expectedCount);
  const times = await reads.storedTimes([...sent.keys()]);
  expect(Object.values(times ?? {})).toEqual(Array(expectedCount).fill(1));
}

/**
 * The first request to `pattern` got the injected 503 and a later one carried its messages (maybe with
 * newer ones a batching library added meanwhile) to a 200; returns that one.
 */
export function expectRetried(p: FailingProxy, pattern: RegExp) {
  const [failed, ...later] = posts(p.seen, pattern);
  expect(failed?.status).toBe(503);
  const failedIds = messageIdsOf(failed!);
  const retry = later.find((r) => failedIds.every((id) => messageIdsOf(r).includes(id)));
  expect(retry?.status).toBe(200);
  return retry!;
}

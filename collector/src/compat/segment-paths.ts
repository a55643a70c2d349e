import type { MessageType } from '../../../sdk/src/contract';

/**
 * analytics.js (analytics-next) posts each message to `{apiHost}/{first letter of its type}`:
 * `/v1/t`, `/v1/p`, ... and, when batching, `/v1/b`. The mobile libraries post batches to `/v1/b`.
 */
export const SEGMENT_SHORT_PATHS: Readonly<Record<string, MessageType>> = {
  t: 'track',
  p: 'page',
  i: 'identify',
  g: 'group',
  a: 'alias',
  s: 'screen',
};

import type { StoredEvent } from '../ingest/normalise';
import { specFields } from '../ingest/spec-fields';
import { SIGNATURE_HEADER, signatureHeader } from '../webhooks/signature';
import { chunk, type ForwardEvent, type MappedBatch } from './outbound';

/** At most this many events per POST (the contract's limit; keeps bodies far below any receiver's cap). */
export const EVENTS_PER_POST = 100;

/**
 * A stored event as a Segment Spec message: the fields it was accepted with, times in ISO
 * 8601, empty fields left out. `timestamp` is the collector's clock-corrected time.
 *
 * @example
 * specMessage(stored) // { type: 'track', event: 'Order Completed', messageId: 'm1', timestamp: '2026-…', … }
 */
export function specMessage(e: StoredEvent): Record<string, unknown> {
  const message: Record<string, unknown> = specFields(e);
  for (const key of Object.keys(message)) if (message[key] === null || message[key] === undefined) delete message[key];
  return message;
}

/**
 * Signed POSTs of `{"batch": [...]}` with at most 100 events each, the `Satu-Signature` of
 * segment webhooks (HMAC-SHA256 of `"<t>.<raw body>"`). Receivers dedupe on messageId.
 *
 * @example
 * (await webhookRequests({ url, secret }, events, Date.now())).requests[0].headers['Satu-Signature'] // 't=…,v1=…'
 */
export async function webhookRequests(target: { url: string; secret: string }, events: readonly ForwardEvent[], now: number): Promise<MappedBatch> {
  const requests = await Promise.all(
    chunk(events, EVENTS_PER_POST).map(async (run) => {
      const body = JSON.stringify({ batch: run.map((f) => specMessage(f.event)) });
      return {
        deliveryIds: run.map((f) => f.deliveryId),
        url: target.url,
        headers: {
          'content-type': 'application/json',
          'user-agent': 'Satu-Webhooks/1',
          [SIGNATURE_HEADER]: await signatureHeader(target.secret, body, Math.floor(now / 1000)),
        },
        body,
      };
    }),
  );
  return { requests, skipped: [] };
}

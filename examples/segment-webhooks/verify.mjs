// Verifies Satu's webhook signature with Node's crypto only:
//   Satu-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>
// Always verify the raw body bytes as received, before parsing JSON.
import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * @param {string} secret the destination's secret
 * @param {string} rawBody the request body exactly as received
 * @param {string | null | undefined} header the Satu-Signature header
 * @param {{ nowSeconds?: number, toleranceSeconds?: number }} [options]
 * @returns {boolean}
 * @example verifySatuSignature(process.env.SATU_SECRET, body, req.headers['satu-signature'])
 */
export function verifySatuSignature(secret, rawBody, header, { nowSeconds = Date.now() / 1000, toleranceSeconds = 300 } = {}) {
  if (!header) return false;
  const parts = header.split(',').map((p) => p.trim().split('='));
  const t = Number(parts.find(([k]) => k === 't')?.[1]);
  // A stale timestamp means a replayed request, however valid its signature.
  if (!Number.isInteger(t) || Math.abs(nowSeconds - t) > toleranceSeconds) return false;
  const expected = Buffer.from(createHmac('sha256', secret).update(`${t}.${rawBody}`).digest('hex'));
  return parts.some(([k, v]) => k === 'v1' && v && v.length === expected.length && timingSafeEqual(Buffer.from(v), expected));
}

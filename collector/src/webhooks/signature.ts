/**
 * Webhook signatures, Stripe's scheme with our header name:
 *
 *   Satu-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>
 *
 * The timestamp is signed with the body so a captured request cannot be replayed later than
 * the receiver's tolerance (5 minutes by default).
 */
export const SIGNATURE_HEADER = 'Satu-Signature';
export const DEFAULT_TOLERANCE_SECONDS = 300;

const encoder = new TextEncoder();

async function hmacHex(secret: string, message: string): Promise<string> {
  const key = await crypto.subtle.importKey('raw', encoder.encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  const mac = await crypto.subtle.sign('HMAC', key, encoder.encode(message));
  return [...new Uint8Array(mac)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

/**
 * The `Satu-Signature` header value for a body sent at `timestampSeconds`.
 *
 * @example
 * await signatureHeader('whsec_1', '{"id":"1"}', 1767225600) // 't=1767225600,v1=5f0c…'
 */
export async function signatureHeader(secret: string, body: string, timestampSeconds: number): Promise<string> {
  return `t=${timestampSeconds},v1=${await hmacHex(secret, `${timestampSeconds}.${body}`)}`;
}

/**
 * Checks a `Satu-Signature` header against the raw body: some v1 signature must match and the
 * timestamp must be within `toleranceSeconds` of `nowSeconds`.
 *
 * @example
 * await verifySignature('whsec_1', rawBody, request.headers.get('satu-signature'), Date.now() / 1000) // true | false
 */
export async function verifySignature(
  secret: string,
  body: string,
  header: string | null,
  nowSeconds: number,
  toleranceSeconds = DEFAULT_TOLERANCE_SECONDS,
): Promise<boolean> {
  if (!header) return false;
  const parts = header.split(',').map((p) => p.trim().split('=', 2) as [string, string | undefined]);
  const t = Number(parts.find(([k]) => k === 't')?.[1]);
  if (!Number.isInteger(t) || Math.abs(nowSeconds - t) > toleranceSeconds) return false;
  const expected = encoder.encode(await hmacHex(secret, `${t}.${body}`));
  for (const [k, v] of parts) {
    if (k !== 'v1' || v === undefined) continue;
    const given = encoder.encode(v);
    if (given.byteLength === expected.byteLength && crypto.subtle.timingSafeEqual(given, expected)) return true;
  }
  return false;
}

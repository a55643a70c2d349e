/**
 * Where a key can arrive. Segment's server libraries send the write key as the
 * HTTP Basic username with an empty password; browsers' sendBeacon cannot set
 * headers, so it also comes in the body or the query string.
 */
export function keyFromAuthorization(header: string | null | undefined): string | null {
  if (!header) return null;
  const [scheme, value] = header.trim().split(/\s+/, 2);
  if (!value) return null;
  if (/^bearer$/i.test(scheme)) return value;
  if (/^basic$/i.test(scheme)) {
    let decoded: string;
    try {
      decoded = atob(value);
    } catch {
      return null; // not base64: treated as no credentials, answered 401 by the caller
    }
    const user = decoded.split(':', 1)[0];
    return user || null;
  }
  return null;
}

// What the fuzz generators share: the message shapes, credentials on a request, and every
// JSON-taking route with the key it expects.

export const TYPES = ['identify', 'track', 'page', 'screen', 'group', 'alias'];
export const FIELDS = ['type', 'messageId', 'anonymousId', 'userId', 'timestamp', 'sentAt', 'context', 'properties', 'traits', 'event', 'name', 'category', 'groupId', 'previousId', 'integrations'];
export const basic = (key) => `Basic ${Buffer.from(`${key}:`).toString('base64')}`;
export const json = (v) => JSON.stringify(v);
// Percent-encodes for a URL; a lone surrogate cannot be, so it goes as invalid UTF-8 escapes.
export const pct = (s) => {
  try {
    return encodeURIComponent(s);
  } catch {
    return `${encodeURIComponent(s.toWellFormed())}%ED%A0%80%C0%AF`;
  }
};

export function validMessage(r, id) {
  const type = r.pick(TYPES);
  return {
    type,
    messageId: id ?? `h-${r.string(16)}`,
    userId: `u-${r.int(50)}`,
    anonymousId: `a-${r.string(8)}`,
    event: 'Fuzzed',
    name: 'Page',
    groupId: 'g-1',
    previousId: `p-${r.int(9)}`,
    properties: { revenue: r.int(100) },
    traits: { email: `f${r.int(20)}@example.com` },
    timestamp: new Date(Date.now() - r.int(86_400_000)).toISOString(),
  };
}

export const ingest = (k, body, path = '/v1/batch') => ({
  method: 'POST',
  path,
  headers: { authorization: basic(k.A.writeKey), 'content-type': 'application/json' },
  body,
});
export const secret = (key, method, path, body) => ({
  method,
  path,
  headers: { authorization: `Bearer ${key}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
  body,
});

// Every JSON-taking route, with the credentials it expects.
export const JSON_ROUTES = [
  (k, b) => ingest(k, b),
  (k, b) => ingest(k, b, `/v1/${['track', 'identify', 'page', 'alias', 'group', 'screen'][b.length % 6]}`),
  (k, b) => secret(k.A.secretKey, 'POST', '/v1/keys', b),
  (k, b) => secret(k.A.secretKey, 'PATCH', '/v1/settings', b),
  (k, b) => secret(k.A.secretKey, 'POST', '/v1/segments', b),
  (k, b) => secret(k.A.secretKey, 'POST', `/v1/keys/${k.A.spareKeyId}/rotate`, b),
  (k, b) => secret(k.admin, 'POST', '/v1/admin/workspaces', b),
  (k, b) => secret(k.admin, 'PATCH', `/v1/admin/workspaces/${k.A.id}/settings`, b),
];

import { beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, basic, call, createWorkspace, type TestWorkspace } from './helpers';

let ws: TestWorkspace;
beforeAll(async () => {
  ws = await createWorkspace('Headers shop');
});

describe('security headers and CORS', () => {
  it.each([
    ['/health', {}],
    ['/v1/settings', { authorization: 'Bearer nope' }],
    ['/v1/no-such-route', {}],
    ['/v1/admin/workspaces/ws_x/keys', { authorization: `Bearer ${ADMIN_TOKEN}` }],
  ])('sends security headers and no CORS on %s', async (path, headers) => {
    const res = await call(path, { headers: { ...headers, origin: 'https://evil.example' } });
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('x-frame-options')).toBe('DENY');
    expect(res.headers.get('content-security-policy')).toBe("default-src 'none'; frame-ancestors 'none'");
    expect(res.headers.get('referrer-policy')).toBe('no-referrer');
    expect(res.headers.get('strict-transport-security')).toContain('max-age=');
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('answers no CORS preflight on secret-key routes', async () => {
    for (const path of ['/v1/keys', '/v1/settings', '/v1/import']) {
      const res = await call(path, {
        method: 'OPTIONS',
        headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' },
      });
      expect(res.headers.get('access-control-allow-origin'), path).toBeNull();
    }
  });

  it.each(['/v1/batch', '/v1/track'])('keeps %s open to any origin, without the API headers', async (path) => {
    const res = await call(path, {
      method: 'POST',
      headers: { authorization: basic(ws.writeKey), origin: 'https://shop.example' },
      json: path === '/v1/batch' ? { batch: [{ type: 'track', event: 'Cors', userId: 'c' }] } : { event: 'Cors', userId: 'c' },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    expect(res.headers.get('content-security-policy')).toBeNull();
    expect(res.headers.get('x-frame-options')).toBeNull();
  });
});

describe('request ids', () => {
  it.each([
    ['abc-123.x:y', true],
    ['r'.repeat(129), false],
    ['<script>', false],
    ['x%0d%0aSet-Cookie: a=1', false],
  ])('echoes %s: %s', async (id, echoed) => {
    const res = await call('/health', { headers: { 'request-id': id } });
    expect(res.headers.get('request-id') === id).toBe(echoed);
    expect(res.headers.get('request-id')).toMatch(/^[\w.:-]{1,128}$/);
    expect(res.headers.get('set-cookie')).toBeNull();
  });
});

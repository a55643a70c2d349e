import { describe, expect, it } from 'vitest';
import { call } from './helpers';

// The bundle is written by `npm run build` (npm test runs it before vitest).
describe('/satu.min.js', () => {
  it('serves the SDK bundle to any origin with caching headers', async () => {
    const res = await call('/satu.min.js', { headers: { origin: 'https://shop.example' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/javascript/);
    expect(res.headers.get('cache-control')).toBe('public, max-age=300, stale-while-revalidate=86400');
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    const body = await res.text();
    expect(body).toContain('/v1/batch');
    expect(body.length).toBeGreaterThan(1000);
  });

  it('answers a conditional request with 304 when unchanged', async () => {
    const first = await call('/satu.min.js');
    const etag = first.headers.get('etag');
    await first.arrayBuffer();
    expect(etag).toBeTruthy();
    const again = await call('/satu.min.js', { headers: { 'if-none-match': etag! } });
    expect(again.status).toBe(304);
    expect(again.headers.get('cache-control')).toBe('public, max-age=300, stale-while-revalidate=86400');
  });

  it('exposes Retry-After to cross-origin scripts on the ingest routes', async () => {
    const res = await call('/v1/batch', { method: 'POST', headers: { origin: 'https://shop.example' }, body: '{}' });
    expect(res.headers.get('access-control-expose-headers')).toContain('Retry-After');
  });
});

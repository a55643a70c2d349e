// Hostile requests around the messages: headers and keys, segment rules, cursors, routes and
// methods, imports, compressed bodies. Each takes (r: seeded PRNG, k: keys) and returns
// { method, path, headers, body }.
import { deflateSync, gzipSync } from 'node:zlib';
import { INJECTIONS, UNICODE, wrongTypes } from './hostile-values.mjs';
import { basic, json, pct, secret, validMessage } from './requests.mjs';

export const apiGenerators = {
  headers(r, k) {
    const weird = [
      'Basic',
      'Basic ',
      'Basic !!!not-base64!!!',
      `Basic ${Buffer.from(':').toString('base64')}`,
      `Basic ${Buffer.from(':::').toString('base64')}`,
      `Basic ${Buffer.from(`${k.A.writeKey}:${k.A.writeKey}`).toString('base64')}`,
      `Basic ${Buffer.from('\u0000\u0000').toString('base64')}`,
      'Bearer',
      `Bearer ${'k'.repeat(8000)}`,
      `bearer    ${k.A.secretKey}   extra`,
      `Digest ${k.A.secretKey}`,
      `Bearer ${k.A.secretKey.toUpperCase()}`,
      `Bearer ${k.A.secretKey.slice(0, -1)}`,
      `Bearer ${k.A.secretKey}\t`,
      'Bearer ÿþý',
      `Basic ${Buffer.from('x%0d%0aX-Injected: 1:').toString('base64')}`,
    ];
    const path = r.pick(['/v1/batch', '/v1/track', '/v1/keys', '/v1/settings', '/v1/import', `/v1/admin/workspaces/${k.A.id}/keys`, '/v1/profiles/user_id:u-1', '/v1/segments']);
    const method = path === '/v1/keys' || path.includes('/profiles/') || path === '/v1/settings' ? 'GET' : 'POST';
    return {
      method,
      path,
      headers: {
        authorization: r.pick(weird),
        'request-id': r.pick(['x%0d%0aX-Injected: 1', 'r'.repeat(4000), 'ÿ', '<script>', 'ok-123']),
        'content-type': r.pick(['application/json', 'text/plain', 'application/json; charset=utf-16', 'multipart/form-data; boundary=x', 'x'.repeat(500)]),
        origin: r.pick(['https://evil.example', 'null', 'x\tnull']),
        'x-forwarded-for': r.pick(INJECTIONS).replace(/[\r\n]/g, ' '),
        'cf-connecting-ip': r.pick(['1.2.3.4', '::1', "'; DROP TABLE events;--", 'ÿ'.repeat(10)]),
        'user-agent': r.pick(['', 'ÿ'.repeat(100), 'Mozilla/5.0 '.repeat(500)]),
      },
      body: method === 'POST' ? json({ batch: [validMessage(r)] }) : undefined,
    };
  },

  badKeys(r, k) {
    const key = r.pick([k.A.writeKey, k.A.readKey, k.A.revokedKey, k.B.secretKey, k.B.writeKey, `sk_${r.string(40)}`, `wk_${r.string(40)}`, k.admin, '']);
    return r.pick([
      () => ({ method: 'POST', path: '/v1/batch', headers: { authorization: basic(key), 'content-type': 'application/json' }, body: json({ batch: [validMessage(r)] }) }),
      () => secret(key, 'GET', '/v1/keys'),
      () => secret(key, 'POST', '/v1/keys', json({ kind: 'secret', scopes: ['admin'] })),
      () => secret(key, 'POST', `/v1/keys/${k.A.spareKeyId}/revoke`),
      () => secret(key, 'PATCH', '/v1/settings', json({ ipPolicy: 'keep' })),
      () => secret(key, 'GET', `/v1/admin/workspaces/${k.A.id}/keys`),
      () => secret(key, 'POST', '/v1/admin/workspaces', json({ name: 'x' })),
      () => secret(key, 'GET', '/v1/profiles/user_id:u-1'),
      () => secret(key, 'GET', '/v1/profiles/user_id:u-1/export'),
      () => secret(key, 'DELETE', '/v1/profiles/user_id:u-nobody'),
      () => secret(key, 'POST', '/v1/suppressions/user_id:u-nobody/lift'),
      () => secret(key, 'GET', '/v1/segments'),
      () => secret(key, 'GET', `/v1/keys/${k.B.spareKeyId}`),
      () => secret(key, 'POST', `/v1/keys/${k.B.spareKeyId}/rotate`),
    ])();
  },

  badSegments(r, k) {
    // The rule language (collector/src/segments/validate.ts) with hostile values in every slot;
    // some shapes are valid, so the compiler and the evaluation run on hostile input too.
    const hostile = () => r.pick([...wrongTypes(r), r.pick(INJECTIONS), r.pick(UNICODE)]);
    const op = () => r.pick(['eq', 'neq', 'gt', 'gte', 'lt', 'lte', 'in', 'contains', 'startsWith', 'exists', 'notExists', 'like', 'regex', '', hostile()]);
    const leaf = () => r.pick([
      { trait: r.pick(['plan', r.pick(INJECTIONS), r.pick(UNICODE), 'a.b.c', '$', '"', hostile()]), op: op(), value: hostile() },
      { trait: 'plan', op: 'in', value: Array.from({ length: r.pick([0, 1, 101, 1000]) }, () => hostile()) },
      { computed: r.pick(['lastSeen', 'firstSeen', 'eventCount', 'revenue', r.pick(INJECTIONS)]), op: op(), value: r.pick([{ daysAgo: r.pick([-1, 0, 1e9, 1e308, 'x', null]) }, hostile()]) },
      { event: r.pick(['Order Completed', '*', r.pick(INJECTIONS), hostile()]), where: r.pick([[{ property: r.pick(INJECTIONS), op: op(), value: hostile() }], hostile()]), within: r.pick([{ days: r.pick([-1, 0, 1e9, 'x']) }, { hours: 1e12 }, { from: '2026-02-01', to: '2026-01-01' }, { from: hostile(), to: hostile() }, hostile()]), count: r.pick([{ gte: r.pick([-1, 1e308, 'many']) }, { gte: 5, lte: 2 }, hostile()]) },
      { segment: r.pick(['fz1', 'fz2', '', r.pick(INJECTIONS), hostile()]) },
      { not: r.pick([null, [], 'x', { trait: 'plan', op: 'exists' }]) },
      { and: r.pick([[], null, 'x', [{}]]) },
      hostile(),
    ]);
    let condition = leaf();
    for (let i = r.int(6); i > 0; i--) condition = { [r.pick(['and', 'or'])]: [condition, leaf()] };
    const key = r.pick(['fz1', 'fz2', 'fz3', r.pick(INJECTIONS), '', 'K'.repeat(200), hostile()]);
    const body = r.pick([
      { key, name: 'fuzz', condition },
      { key, name: hostile(), condition },
      { key: 'fz4', name: 'fuzz', condition: hostile() },
      { key: 'fz5', name: 'wide', condition: { or: Array.from({ length: r.pick([61, 200, 2000]) }, (_, i) => ({ trait: `t${i}`, op: 'eq', value: i })) } },
    ]);
    return r.pick([
      () => secret(k.A.secretKey, 'POST', '/v1/segments', json(body)),
      () => secret(k.A.secretKey, 'PUT', `/v1/segments/${r.pick(['fz1', 'fz2', pct(r.pick(INJECTIONS))])}`, json(body)),
      () => secret(k.A.secretKey, 'POST', '/v1/segments/preview', json(body)),
      () => secret(k.A.readKey, 'POST', '/v1/segments', json(body)),
      () => secret(k.A.secretKey, 'DELETE', `/v1/segments/${pct(r.pick(['fz3', r.pick(INJECTIONS)]))}`),
    ])();
  },

  badCursors(r, k) {
    const cursor = pct(r.pick([
      Buffer.from(r.pick(INJECTIONS)).toString('base64'),
      Buffer.from('{"seq":-1,"t":"x"}').toString('base64url'),
      Buffer.from('{"seq":"1 OR 1=1"}').toString('base64url'),
      '!!!!',
      '',
      'A'.repeat(5000),
      '-1',
      '1e309',
      r.pick(UNICODE),
    ]));
    const limit = r.pick(['-1', '0', '1e9', 'abc', '', '50', '99999999999999999999']);
    const path = r.pick([
      `/v1/profiles/user_id:u-1/events?cursor=${cursor}&limit=${limit}`,
      `/v1/segments/seg_x/members?cursor=${cursor}&limit=${limit}`,
      `/v1/events?cursor=${cursor}&limit=${limit}`,
      `/v1/keys?cursor=${cursor}`,
      `/v1/profiles?cursor=${cursor}&limit=${limit}`,
      `/v1/deletions?cursor=${cursor}&limit=${limit}`,
      `/v1/suppressions?cursor=${cursor}&limit=${limit}`,
    ]);
    return secret(k.A.secretKey, 'GET', path);
  },

  routes(r, k) {
    const method = r.pick(['GET', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'POST', 'HEAD']);
    const path = r.pick([
      '//v1//batch',
      '/v1/batch/../admin/workspaces',
      '/v1/%00',
      `/v1/${'a/'.repeat(1000)}`,
      '/v1/admin',
      '/v1/admin/workspaces',
      `/v1/admin/workspaces/${k.A.id}`,
      '/v1/keys/',
      '/v1/settings/',
      '/v1/batch?writeKey=',
      '/health?x=%ff',
      '/satu.min.js',
      '/%2e%2e/%2e%2e/etc/passwd',
      '/v1/profiles/',
      '/v1/profiles/:',
      '/v1/profiles/email:',
      '/v1/suppressions/:/lift',
    ]);
    const hasBody = method !== 'GET' && method !== 'HEAD';
    return { method, path, headers: { authorization: `Bearer ${r.pick([k.A.secretKey, k.admin, k.A.writeKey])}` }, body: hasBody && r.chance(0.5) ? json({ batch: [validMessage(r)] }) : undefined };
  },

  imports(r, k) {
    const lines = Array.from({ length: 1 + r.int(30) }, () =>
      r.pick([json(validMessage(r)), '{', 'null', '[1,2]', json({ ...validMessage(r), type: r.pick(wrongTypes(r)) }), r.pick(UNICODE), r.pick(INJECTIONS)]),
    ).join(r.pick(['\n', '\r\n', '\r']));
    const csv = [r.pick(['email,first_name', 'userId,plan', 'nothing,useful', '"unterminated', '', `${r.pick(INJECTIONS).replace(/[\r\n]/g, '')},email`]), ...Array.from({ length: r.int(20) }, () => [r.pick(INJECTIONS), r.pick(UNICODE), `x${r.int(9)}@example.com`].join(','))].join('\n');
    return r.pick([
      () => ({ method: 'POST', path: '/v1/import?format=ndjson', headers: { authorization: basic(k.A.writeKey) }, body: lines }),
      () => ({ method: 'POST', path: '/v1/import?format=csv', headers: { authorization: basic(k.A.writeKey) }, body: csv }),
      () => ({ method: 'POST', path: `/v1/import?format=${pct(r.pick(INJECTIONS))}`, headers: { authorization: basic(k.A.writeKey) }, body: lines }),
      () => ({ method: 'POST', path: '/v1/import', headers: { authorization: basic(k.A.writeKey), 'content-type': 'text/csv' }, body: '' }),
    ])();
  },

  // Content-Encoding: names it cannot decode or that shadow object properties, bodies that are not
  // what they claim, truncated streams, and small bombs that inflate past the size limits.
  compressed(r, k) {
    const batch = json({ batch: [validMessage(r), validMessage(r)] });
    const bomb = json({ batch: [validMessage(r)], pad: ' '.repeat(600 * 1024 + r.int(4_000_000)) });
    const gz = gzipSync(batch);
    const body = r.pick([
      () => gz,
      () => gz.subarray(0, r.int(gz.length)),
      () => deflateSync(batch),
      () => gzipSync(bomb),
      () => gzipSync(gz),
      () => Buffer.from(batch),
      () => Buffer.from(r.string(r.int(300))),
    ])();
    const encoding = r.pick(['gzip', 'x-gzip', 'deflate', 'GZip', ' gzip ', 'br', 'zstd', 'compress', 'identity', 'gzip, deflate', 'toString', '__proto__', 'constructor', '', r.string(r.int(20))]);
    const path = r.pick(['/v1/batch', '/v1/track', '/v1/import?format=ndjson', '/v1/settings']);
    const authorization = path === '/v1/settings' ? `Bearer ${k.A.secretKey}` : basic(k.A.writeKey);
    return { method: path === '/v1/settings' ? 'PATCH' : 'POST', path, headers: { authorization, 'content-type': 'application/json', 'content-encoding': encoding }, body };
  },
};

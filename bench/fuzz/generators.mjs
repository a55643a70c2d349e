// Hostile request generators. Each takes (r: seeded PRNG, k: keys) and returns
// { method, path, headers, body } where body is a string, a Buffer or undefined. Here: hostile
// bodies (malformed JSON, wrong types, oversize, deep nesting, unicode, injection); the requests
// around them are in api-generators.mjs.
import { deepJson, INJECTIONS, UNICODE, wrongTypes } from './hostile-values.mjs';
import { basic, FIELDS, ingest, json, JSON_ROUTES, pct, secret, TYPES, validMessage } from './requests.mjs';
import { apiGenerators } from './api-generators.mjs';

export { validMessage } from './requests.mjs';

export const generators = {
  malformedJson(r, k) {
    const valid = json({ batch: [validMessage(r), validMessage(r)], sentAt: new Date().toISOString() });
    const bodies = [
      () => valid.slice(0, r.int(valid.length)),
      () => valid.replace(valid[r.int(valid.length)], r.pick(['"', '{', ']', ',', '\\', ':'])),
      () => r.string(r.int(200), '{}[]":,\\ntfu0123456789.eE+-'),
      () => Buffer.from([0xff, 0xfe, 0x7b, 0xc3, 0x28, 0xa0, 0xa1, 0xe2, 0x28, 0xa1, 0x7d]),
      () => '{"batch": [NaN, Infinity, -Infinity, undefined]}',
      () => '{"batch": [], "batch": "twice"}',
      () => r.pick(['null', 'true', '42', '"string"', '[]', '[{}]', '{}garbage', '{"a":1}}', '\ufeff{"batch":[]}']),
      () => '{"batch":[{"type":"track","event":"x","userId":"u",}]}',
      () => `{"batch":[${'{"type":"track"},'.repeat(50)}]}`,
      () => '{"batch": "' + '\\u'.repeat(r.int(5) + 1) + '"}',
    ];
    return r.pick(JSON_ROUTES)(k, r.pick(bodies)());
  },

  wrongTypes(r, k) {
    const message = validMessage(r);
    const field = r.pick([...FIELDS, ...FIELDS]);
    message[field] = r.pick(wrongTypes(r));
    if (r.chance(0.3)) {
      // One wrong field in a nested object too.
      message.context = { ip: r.pick(wrongTypes(r)), userAgent: r.pick(wrongTypes(r)), consent: { categoryPreferences: r.pick(wrongTypes(r)) }, externalIds: r.pick(wrongTypes(r)) };
    }
    const top = r.pick([
      () => ({ batch: [message] }),
      () => ({ batch: r.pick(wrongTypes(r)) }),
      () => ({ batch: [message], sentAt: r.pick(wrongTypes(r)) }),
      () => ({ batch: [message], writeKey: r.pick(wrongTypes(r)) }),
    ])();
    if (r.chance(0.3)) return ingest(k, json(message), `/v1/${r.pick(TYPES)}`);
    if (r.chance(0.15)) {
      // The write key in the body only, with a wrong type: must be a 401, not a crash.
      return { method: 'POST', path: '/v1/batch', headers: { 'content-type': 'text/plain' }, body: json({ ...top, writeKey: r.pick(wrongTypes(r)) }) };
    }
    if (r.chance(0.2)) return r.pick(JSON_ROUTES.slice(2))(k, json(Object.fromEntries(FIELDS.slice(0, 4).map((f) => [r.pick(['kind', 'scopes', 'name', 'ipPolicy', 'requiredConsent', 'defaultCountry', 'graceSeconds', 'definition', f]), r.pick(wrongTypes(r))]))));
    return ingest(k, json(top));
  },

  oversize(r, k) {
    return r.pick([
      () => ingest(k, json({ batch: [validMessage(r)], pad: 'x'.repeat(520 * 1024) })),
      () => ingest(k, json({ batch: [{ ...validMessage(r), properties: { blob: 'y'.repeat(33 * 1024) } }] })),
      () => ingest(k, json({ ...validMessage(r), properties: { blob: 'y'.repeat(40 * 1024) } }), '/v1/track'),
      () => ingest(k, json({ batch: [{ ...validMessage(r), messageId: 'm'.repeat(201) }] })),
      () => ingest(k, json({ batch: [{ ...validMessage(r), userId: 'u'.repeat(1025), event: 'e'.repeat(1025) }] })),
      () => ingest(k, json({ batch: Array.from({ length: 400 + r.int(600) }, () => ({ type: 'track', event: 'Tiny', userId: 'u', messageId: `h-${r.string(12)}` })) })),
      () => ({ ...ingest(k, json({ batch: [] })), headers: { authorization: basic(k.A.writeKey), 'content-length-claim': '999999999' } }),
      () => secret(k.A.secretKey, 'POST', '/v1/keys', json({ kind: 'write', pad: 'p'.repeat(100_000) })),
      () => secret(k.A.secretKey, 'PATCH', '/v1/settings', json({ requiredConsent: 'c'.repeat(5000) })),
      () => ({ method: 'POST', path: '/v1/import?format=ndjson', headers: { authorization: basic(k.A.writeKey) }, body: `${json({ ...validMessage(r), properties: { big: 'z'.repeat(34_000) } })}\n`.repeat(3) }),
    ])();
  },

  deepNesting(r, k) {
    const depth = r.pick([64, 500, 1_000, 5_000, 20_000, 100_000]);
    const kind = r.pick(['array', 'object']);
    const nested = deepJson(depth, kind);
    const field = r.pick(['properties', 'traits', 'context', 'integrations']);
    const inner = field === 'properties' || field === 'traits' || field === 'context' || field === 'integrations' ? `{"deep":${nested}}` : nested;
    const message = `{"type":"track","event":"Deep","userId":"u-deep","messageId":"h-${r.string(12)}","${field}":${inner}}`;
    return r.pick([
      () => ingest(k, `{"batch":[${message}]}`),
      () => ingest(k, message, '/v1/track'),
      () => ingest(k, nested),
      () => secret(k.A.secretKey, 'POST', '/v1/segments', `{"name":"deep","definition":${deepJson(Math.min(depth, 5000), 'object')}}`),
      () => secret(k.A.secretKey, 'PATCH', '/v1/settings', `{"requiredConsent":${nested}}`),
      () => ({ method: 'POST', path: '/v1/import?format=ndjson', headers: { authorization: basic(k.A.writeKey) }, body: `${message}\n` }),
    ])();
  },

  unicode(r, k) {
    const u = () => r.pick(UNICODE) + r.pick(UNICODE);
    const message = { ...validMessage(r), messageId: r.chance(0.5) ? `h-${u()}` : `h-${r.string(8)}`, event: u(), userId: u(), anonymousId: u(), properties: { [u()]: u(), nested: { [u()]: [u()] } }, traits: { [u()]: u(), email: `${u()}@example.com` }, context: { userAgent: u(), ip: u(), locale: u() } };
    return r.pick([
      () => ingest(k, json({ batch: [message] })),
      () => ingest(k, json(message), `/v1/${message.type}`),
      () => ingest(k, Buffer.concat([Buffer.from('{"batch":[{"type":"track","event":"'), Buffer.from([0xed, 0xa0, 0x80, 0xc0, 0xaf, 0xf4, 0x90, 0x80, 0x80]), Buffer.from(`","userId":"u","messageId":"h-${r.string(8)}"}]}`)])),
      () => secret(k.A.secretKey, 'PATCH', '/v1/settings', json({ requiredConsent: u(), defaultCountry: u() })),
      () => secret(k.A.secretKey, 'GET', `/v1/profiles/${pct(`user_id:${u()}`)}`),
      () => ({ method: 'POST', path: '/v1/import?format=csv', headers: { authorization: basic(k.A.writeKey), 'content-type': 'text/csv' }, body: `email,${u()}\n"${u()}@x.io","${u()}"\n"unterminated,${u()}\n` }),
    ])();
  },

  injection(r, k) {
    const inj = () => r.pick(INJECTIONS);
    const enc = () => pct(inj());
    const message = { ...validMessage(r), messageId: `h-${inj()}`, event: inj(), userId: inj(), properties: { [inj()]: inj() }, traits: { [inj()]: inj(), email: inj() }, context: { externalIds: [{ id: inj(), type: inj(), collection: 'users', encoding: 'none' }], consent: { categoryPreferences: { [inj()]: true } } } };
    return r.pick([
      () => ingest(k, json({ batch: [message] })),
      () => ({ method: 'POST', path: `/v1/batch?writeKey=${enc()}`, headers: { 'content-type': 'application/json' }, body: json({ batch: [message] }) }),
      () => ({ method: 'POST', path: '/v1/batch', headers: { 'content-type': 'text/plain' }, body: json({ writeKey: inj(), batch: [message] }) }),
      () => secret(k.A.secretKey, 'GET', `/v1/profiles/${enc()}`),
      () => secret(k.A.secretKey, 'GET', `/v1/profiles/user_id:${enc()}/events?cursor=${enc()}&limit=${enc()}`),
      () => secret(k.A.secretKey, 'GET', `/v1/profiles/${enc()}/export`),
      () => secret(k.A.secretKey, 'POST', `/v1/keys/${enc()}/revoke`),
      () => secret(k.A.secretKey, 'POST', `/v1/keys/${enc()}/rotate`, json({ graceSeconds: 0 })),
      () => secret(k.admin, 'GET', `/v1/admin/workspaces/${enc()}/keys`),
      () => secret(k.A.secretKey, 'GET', `/v1/segments/${enc()}/members?cursor=${enc()}`),
      () => secret(k.A.readKey, 'DELETE', `/v1/profiles/${enc()}?suppress=${enc()}`),
      () => secret(k.A.readKey, 'POST', `/v1/suppressions/${enc()}/lift`),
      () => secret(k.A.secretKey, 'PATCH', '/v1/settings', json({ requiredConsent: inj(), ipPolicy: inj() })),
      () => secret(k.A.secretKey, 'POST', '/v1/segments', json({ name: inj(), definition: { trait: inj(), op: inj(), value: inj() } })),
    ])();
  },
  ...apiGenerators,
};

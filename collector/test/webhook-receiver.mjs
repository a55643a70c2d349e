// A second Worker in the test runtime that plays every receiver: the collector's outbound
// fetches are routed here (vitest.config.ts: outboundService). It records every request by path.
//   POST /__control {"path": "/a", "fail": 2}            the next 2 requests to /a answer 500 (-1: always)
//   POST /__control {"path": "/a", "delayMs": 3000}      answer /a only after this long (a slow vendor)
//   GET  /__received?path=/a                             what /a received: [{url, headers, body, status}]
// Paths that end like a vendor's API are answered as that vendor answers, after checking the
// request the way the vendor does (so a test sees a malformed request fail as it would in production):
//   .../mp/collect            GA4 Measurement Protocol   204
//   .../import                Mixpanel /import           200 {code, num_records_imported, status} | 400 with failed_records | 401
//   .../engage                Mixpanel people            200 "1"
//   .../vNN.N/<id>/events     Meta Conversions API       200 {events_received, messages, fbtrace_id} | 400 {error}
//   .../vNN.N/<id>/messages   WhatsApp Cloud API         200 {messaging_product, contacts, messages} | 400/401 {error}
// Anything else is a plain webhook receiver: 200 "ok".
const received = new Map();
const failures = new Map();
const delays = new Map();

const json = (status, body) => Response.json(body, { status });
const HEX64 = /^[0-9a-f]{64}$/;
// Mixpanel refuses these distinct_ids (its docs' list of placeholder values).
const PLACEHOLDER_IDS = new Set(['anon', 'anonymous', 'nil', 'none', 'null', 'n/a', 'undefined', '00000000-0000-0000-0000-000000000000']);

function ga4(url, body) {
  if (!url.searchParams.get('measurement_id') || !url.searchParams.get('api_secret')) return json(403, { error: 'missing measurement_id or api_secret' });
  const problems = [];
  if (typeof body?.client_id !== 'string' || body.client_id === '') problems.push('client_id is required');
  if (!Array.isArray(body?.events) || body.events.length === 0 || body.events.length > 25) problems.push('events: 1 to 25');
  for (const e of body?.events ?? []) {
    if (!/^[A-Za-z][A-Za-z0-9_]{0,39}$/.test(e.name ?? '')) problems.push(`bad event name ${e.name}`);
    if (Object.keys(e.params ?? {}).length > 25) problems.push('more than 25 params');
    for (const [k, v] of Object.entries(e.params ?? {})) {
      if (!/^[A-Za-z][A-Za-z0-9_]{0,39}$/.test(k)) problems.push(`bad param name ${k}`);
      if (k !== 'items' && typeof v !== 'string' && typeof v !== 'number') problems.push(`param ${k} is not a string or number`);
      if (typeof v === 'string' && v.length > 100) problems.push(`param ${k} longer than 100`);
    }
  }
  // The real endpoint answers 2xx whatever it gets; its validation server lists the problems.
  return problems.length ? json(400, { validationMessages: problems.map((description) => ({ description })) }) : new Response(null, { status: 204 });
}

function mixpanelImport(request, body) {
  const auth = request.headers.get('authorization') ?? '';
  const user = auth.startsWith('Basic ') ? atob(auth.slice(6)).split(':')[0] : '';
  if (!user) return json(401, { code: 401, error: 'Unauthorized, invalid project secret', status: 'error' });
  if (!Array.isArray(body)) return json(400, { code: 400, error: 'body must be a JSON array', status: 'Bad Request' });
  const failed = [];
  body.forEach((r, index) => {
    const p = r?.properties ?? {};
    const insertId = p.$insert_id;
    const fail = (field, message) => failed.push({ index, insert_id: insertId, field, message });
    if (typeof r?.event !== 'string' || !r.event) fail('event', "'event' must be a non-empty string");
    else if (typeof p.time !== 'number' || p.time < 31536000) fail('properties.time', "'properties.time' is invalid");
    else if (typeof insertId !== 'string' || !/^[A-Za-z0-9-]{1,36}$/.test(insertId)) fail('properties.$insert_id', "'properties.$insert_id' is invalid");
    else if (typeof p.distinct_id !== 'string' || PLACEHOLDER_IDS.has(p.distinct_id.toLowerCase())) fail('properties.distinct_id', "'properties.distinct_id' is invalid");
    else if (typeof p.token !== 'string' || !p.token) fail('properties.token', "'properties.token' is required");
  });
  const imported = body.length - failed.length;
  return failed.length
    ? json(400, { code: 400, error: 'some data points in the request failed validation', status: 'Bad Request', num_records_imported: imported, failed_records: failed })
    : json(200, { code: 200, num_records_imported: imported, status: 'OK' });
}

function mixpanelEngage(body) {
  const ok = Array.isArray(body) && body.every((u) => typeof u.$token === 'string' && typeof u.$distinct_id === 'string' && u.$set && typeof u.$set === 'object');
  return new Response(ok ? '1' : '0', { status: 200 });
}

function metaEvents(body) {
  const graphError = (message, code) => json(400, { error: { message, type: 'OAuthException', code, fbtrace_id: 'AbCdEf' } });
  if (typeof body?.access_token !== 'string' || body.access_token.startsWith('bad')) return graphError('Invalid OAuth access token - Cannot parse access token', 190);
  if (!Array.isArray(body.data) || body.data.length === 0 || body.data.length > 1000) return graphError('(#100) data must be an array of 1 to 1000 events', 100);
  for (const e of body.data) {
    const ud = e.user_data ?? {};
    if (typeof e.event_name !== 'string' || !Number.isInteger(e.event_time) || e.event_time > 1e11) return graphError('(#100) Invalid event_name or event_time (seconds)', 100);
    if (!['website', 'app', 'email', 'phone_call', 'chat', 'physical_store', 'system_generated', 'business_messaging', 'other'].includes(e.action_source)) return graphError('(#100) Invalid action_source', 100);
    if (Object.keys(ud).length === 0) return graphError('(#100) The user_data parameter needs at least one customer information parameter', 100);
    for (const key of ['em', 'ph', 'external_id']) {
      if (ud[key] !== undefined && !(Array.isArray(ud[key]) && ud[key].every((h) => HEX64.test(h)))) return graphError(`(#100) ${key} must be SHA-256 hashes`, 100);
    }
  }
  return json(200, { events_received: body.data.length, messages: [], fbtrace_id: 'AbCdEf' });
}

function whatsappMessages(request, body) {
  const auth = request.headers.get('authorization') ?? '';
  if (!auth.startsWith('Bearer ') || auth.length < 15) return json(401, { error: { message: 'Invalid OAuth access token', type: 'OAuthException', code: 190 } });
  const t = body?.template;
  if (body?.messaging_product !== 'whatsapp' || body.type !== 'template' || typeof t?.name !== 'string' || typeof t?.language?.code !== 'string') {
    return json(400, { error: { message: '(#100) Invalid parameter', type: 'OAuthException', code: 100 } });
  }
  if (!/^\+?[1-9]\d{7,14}$/.test(body.to ?? '')) return json(400, { error: { message: '(#131009) Parameter value is not valid: to', code: 131009 } });
  return json(200, { messaging_product: 'whatsapp', contacts: [{ input: body.to, wa_id: body.to.replace('+', '') }], messages: [{ id: `wamid.${crypto.randomUUID()}` }] });
}

function answerAsVendor(request, url, text) {
  let body;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    return json(400, { error: 'body is not JSON' });
  }
  const path = url.pathname;
  if (path.endsWith('/mp/collect')) return ga4(url, body);
  if (path.endsWith('/import')) return mixpanelImport(request, body);
  if (path.endsWith('/engage')) return mixpanelEngage(body);
  if (/\/v\d+\.\d+\/\d+\/events$/.test(path)) return metaEvents(body);
  if (/\/v\d+\.\d+\/\d+\/messages$/.test(path)) return whatsappMessages(request, body);
  return new Response('ok', { status: 200 });
}

export default {
  async fetch(request) {
    const url = new URL(request.url);
    if (url.pathname === '/__control') {
      const { path, fail, delayMs } = await request.json();
      if (fail !== undefined) failures.set(path, fail);
      if (delayMs !== undefined) delays.set(path, delayMs);
      return Response.json({ ok: true });
    }
    if (url.pathname === '/__received') {
      return Response.json(received.get(url.searchParams.get('path')) ?? []);
    }
    const body = await request.text();
    const delay = delays.get(url.pathname) ?? 0;
    if (delay > 0) await new Promise((resolve) => setTimeout(resolve, delay));
    const left = failures.get(url.pathname) ?? 0;
    if (left > 0) failures.set(url.pathname, left - 1);
    const response = left !== 0 ? new Response('receiver is down', { status: 500 }) : answerAsVendor(request, url, body);
    const list = received.get(url.pathname) ?? [];
    list.push({ url: request.url, headers: Object.fromEntries(request.headers), body, status: response.status });
    received.set(url.pathname, list);
    return response;
  },
};

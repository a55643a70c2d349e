import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { MAX_JSON_DEPTH } from '../../sdk/src/contract';
import { exceedsDepth } from '../src/ingest/json-depth';
import { toWellFormedDeep, wellFormedMessage } from '../src/ingest/well-formed';
import { basic, call, createWorkspace, sendBatch } from './helpers';

const nest = (depth: number): unknown => (depth <= 1 ? [1] : [nest(depth - 1)]);

describe('exceedsDepth', () => {
  it.each([
    [1, 1, false],
    [{}, 1, false],
    [{ a: 1 }, 1, false],
    [{ a: {} }, 1, true],
    [{ a: [1, { b: null }] }, 3, false],
    [{ a: [1, { b: {} }] }, 3, true],
    [nest(64), 64, false],
    [nest(65), 64, true],
    [[null, 'x', 3, true], 1, false],
  ])('%j within %i levels: exceeds = %s', (value, limit, expected) => {
    expect(exceedsDepth(value, limit)).toBe(expected);
  });

  it('survives 100,000 levels without overflowing the stack', () => {
    const value = JSON.parse(`${'['.repeat(100_000)}${']'.repeat(100_000)}`);
    expect(exceedsDepth(value, MAX_JSON_DEPTH)).toBe(true);
  });
});

describe('deeply nested messages', () => {
  it('refuses a message nested deeper than the limit, keeps its neighbours, and leaves the table queryable', async () => {
    const ws = await createWorkspace('Deep shop');
    const deep = (depth: number) => JSON.parse(`${'['.repeat(depth)}1${']'.repeat(depth)}`);
    const res = await sendBatch(ws.writeKey, [
      { type: 'track', event: 'Fine', userId: 'd', messageId: 'deep-ok', properties: { plan: 'pro', list: deep(MAX_JSON_DEPTH - 2) } },
      { type: 'track', event: 'Deep', userId: 'd', messageId: 'deep-bad', properties: { list: deep(2000) } },
      { type: 'identify', userId: 'd', messageId: 'deep-traits', traits: { t: deep(MAX_JSON_DEPTH) } },
    ]);
    expect(await res.json()).toMatchObject({
      accepted: 1,
      rejected: [
        { index: 1, code: 'too_deep', field: 'properties' },
        { index: 2, code: 'too_deep', field: 'traits' },
      ],
    });
    // One stored document deeper than SQLite's 1000 levels would make this query fail for everyone.
    const rows = await env.DB.prepare("SELECT message_id, properties->>'$.plan' AS plan FROM events WHERE workspace_id = ?").bind(ws.id).all();
    expect(rows.results).toEqual([{ message_id: 'deep-ok', plan: 'pro' }]);
  });
});

describe('lone surrogates', () => {
  it.each([
    ['a\ud800', 'a\ufffd'],
    ['\udfffb', '\ufffdb'],
    ['ok 😀', 'ok 😀'],
    ['x\ud83dy', 'x\ufffdy'],
  ])('%j becomes %j', (input, expected) => {
    expect(toWellFormedDeep({ [input]: [input, { k: input }] })).toEqual({ [expected]: [expected, { k: expected }] });
    expect(wellFormedMessage({ type: 'track', userId: input, event: input })).toEqual({ type: 'track', userId: expected, event: expected });
  });

  it('returns the same object when there is nothing to fix', () => {
    const message = { type: 'track', userId: 'u', properties: { a: ['b'] } };
    expect(wellFormedMessage(message)).toBe(message);
  });

  it('stores ids that differ only by a lone surrogate as the same id, never answering 503', async () => {
    const ws = await createWorkspace('Surrogate shop');
    const send = (userId: string, anonymousId: string, messageId: string) =>
      call('/v1/identify', {
        method: 'POST',
        headers: { authorization: basic(ws.writeKey), 'content-type': 'application/json' },
        body: `{"userId":"${userId}","anonymousId":"${anonymousId}","messageId":"${messageId}","traits":{"email":"x\\ud83dy@example.com"}}`,
      });
    for (const [i, [u, a]] of [['b\\ud800', 'c\\ud800'], ['b\\udfff', 'c\\udbff'], ['b\\ud800', 'c\\udc00']].entries()) {
      const res = await send(u, a, `sur-${i}`);
      expect(res.status).toBe(200);
    }
    const rows = await env.DB.prepare("SELECT DISTINCT user_id FROM events WHERE message_id LIKE 'sur-%'").all();
    expect(rows.results).toEqual([{ user_id: 'b\ufffd' }]);
  });
});

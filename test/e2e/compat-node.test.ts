// Segment's and RudderStack's Node libraries, unmodified, with only their host pointed at the collector
// (through a proxy that answers the first batch with a 503, to watch them retry).
import { Analytics as SegmentAnalytics } from '@segment/analytics-node';
import RudderAnalytics from '@rudderstack/rudder-sdk-node';
import { afterEach, describe, expect, it } from 'vitest';
import { eventually, useHarness } from './harness';
import { startFailingProxy, type FailingProxy } from './compat/failing-proxy';
import { compatReads, posts } from './compat/reads';
import { expectEachStoredOnce, expectRetried, failFirst } from './compat/expectations';

const h = useHarness();
const reads = compatReads(h);
const run = () => Math.random().toString(36).slice(2, 8);

let proxy: FailingProxy | undefined;
afterEach(async () => {
  await proxy?.close();
});

/** The person and account a server library's calls should have built. */
async function expectPersonAndAccount(r: string, prefix: string) {
  const profile = await reads.profileWhen(`user_id:${prefix}-new-${r}`, (p) => p.accounts.length > 0 && p.identities.some((i) => i.value === `${prefix}-user-${r}`));
  expect(profile.identities).toEqual(expect.arrayContaining([{ type: 'user_id', value: `${prefix}-user-${r}` }, { type: 'user_id', value: `${prefix}-new-${r}` }]));
  expect(profile.traits).toMatchObject({ email: `${prefix}-${r}@shop.test`, plan: 'pro' });
  const account = await reads.accountWhen(`${prefix}-acct-${r}`);
  expect(account).toMatchObject({ traits: { name: 'Server Acme' }, members: [profile.id] });
}

/** The five calls, the same in both libraries' APIs. */
interface ServerClient {
  identify(m: object): unknown;
  track(m: object): unknown;
  page(m: object): unknown;
  group(m: object): unknown;
  alias(m: object): unknown;
}
function sendFiveCalls(client: ServerClient, r: string, prefix: string) {
  const user = `${prefix}-user-${r}`;
  client.identify({ userId: user, traits: { email: `${prefix}-${r}@shop.test`, plan: 'pro' } });
  client.track({ userId: user, event: 'Order Completed', properties: { total: 42 } });
  client.page({ userId: user, name: 'Invoice' });
  client.group({ userId: user, groupId: `${prefix}-acct-${r}`, traits: { name: 'Server Acme' } });
  client.alias({ userId: `${prefix}-new-${r}`, previousId: user });
}

describe('Segment analytics-node', () => {
  it('identify, track, page, group and alias land once in one profile and its account; a 503 is retried', async () => {
    proxy = await startFailingProxy(h.collector.url, failFirst(/^\/v1\/batch$/));
    const r = run();
    // The one change: host.
    const analytics = new SegmentAnalytics({ writeKey: h.workspace.writeKey, host: proxy.url, flushAt: 5, flushInterval: 60_000 });
    sendFiveCalls(analytics, r, 'sn');
    await analytics.closeAndFlush();
    const retry = expectRetried(proxy, /^\/v1\/batch$/);
    expect(JSON.parse(retry.body).batch).toHaveLength(5);
    await expectEachStoredOnce(reads, proxy, 5);
    await expectPersonAndAccount(r, 'sn');
  });
});

describe('RudderStack rudder-sdk-node', () => {
  it('identify, track, page, group and alias land once in one profile and its account; a 503 is retried', async () => {
    proxy = await startFailingProxy(h.collector.url, failFirst(/^\/v1\/batch$/));
    const r = run();
    // The one change: dataPlaneUrl. It sends gzipped batches with the key as HTTP Basic.
    const client = new RudderAnalytics(h.workspace.writeKey, { dataPlaneUrl: proxy.url, flushAt: 5, flushInterval: 60_000, logLevel: 'error' });
    sendFiveCalls(client, r, 'rn');
    await client.flush();
    // It sends its first message alone, at once: that is the request that fails and is retried.
    await eventually(async () => posts(proxy!.seen, /^\/v1\/batch$/).length >= 3);
    const retry = expectRetried(proxy, /^\/v1\/batch$/);
    expect(retry.headers['content-encoding']).toBe('gzip');
    await expectEachStoredOnce(reads, proxy, 5);
    await expectPersonAndAccount(r, 'rn');
  });
});

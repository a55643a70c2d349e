import { beforeAll, describe, expect, it, vi } from 'vitest';
import type { UseStore } from 'idb-keyval';
import { messageId } from './ids';
import { createQueue, type Envelope } from './queue';

// fake-indexeddb reads `navigator` at import, which Node 20 does not have.
let createStore: (db: string, store: string) => UseStore;
beforeAll(async () => {
  if (typeof navigator === 'undefined') vi.stubGlobal('navigator', { userAgent: 'node' });
  const { IDBFactory, IDBKeyRange } = await import('fake-indexeddb');
  vi.stubGlobal('indexedDB', new IDBFactory());
  vi.stubGlobal('IDBKeyRange', IDBKeyRange);
  ({ createStore } = await import('idb-keyval'));
});

let dbCount = 0;
const freshStore = () => createStore(`satu-test-${++dbCount}`, 'queue');
const envelope = (event: string, at = Date.now()): Envelope => ({
  id: messageId(at),
  attempts: 0,
  nextAttemptAt: 0,
  message: { type: 'track', event, anonymousId: 'a1' },
});
const events = (list: Envelope[]) => list.map((e) => e.message.event);

// The same behaviour is required of the IndexedDB queue and of the memory fallback.
describe.each([
  ['IndexedDB', () => freshStore()],
  ['memory', () => undefined],
])('queue (%s)', (_name, store) => {
  it('returns what was pushed, oldest first, and pending() sees it synchronously', async () => {
    const queue = createQueue(100, store());
    const pushing = [queue.push(envelope('b', 2000)), queue.push(envelope('a', 1000))];
    expect(events(queue.pending())).toEqual(['a', 'b']);
    await Promise.all(pushing);
    expect(events(await queue.all())).toEqual(['a', 'b']);
  });

  it('removes acknowledged envelopes and writes back retry state', async () => {
    const queue = createQueue(100, store());
    const [a, b] = [envelope('a'), envelope('b')];
    await queue.push(a);
    await queue.push(b);
    await queue.put([{ ...b, attempts: 2, nextAttemptAt: 123 }]);
    await queue.remove([a.id]);
    expect(await queue.all()).toEqual([{ ...b, attempts: 2, nextAttemptAt: 123 }]);
    expect(queue.pending()).toHaveLength(1);
  });

  it('is bounded: overflow drops the oldest and counts them', async () => {
    const queue = createQueue(3, store());
    for (let i = 0; i < 5; i++) await queue.push(envelope(`e${i}`, 1000 + i));
    expect(events(await queue.all())).toEqual(['e2', 'e3', 'e4']);
    expect(queue.dropped()).toBe(2);
  });

  it('clears everything (opt-out)', async () => {
    const queue = createQueue(10, store());
    await queue.push(envelope('a'));
    await queue.clear();
    expect(await queue.all()).toEqual([]);
    expect(queue.pending()).toEqual([]);
  });
});

describe('queue across page loads and tabs (IndexedDB)', () => {
  it('keeps events for the next page load until they are removed', async () => {
    const store = freshStore();
    const first = createQueue(100, store);
    await first.push(envelope('before reload'));
    const second = createQueue(100, store); // the reloaded page
    expect(second.pending()).toEqual([]);
    expect(events(await second.all())).toEqual(['before reload']);
    expect(events(second.pending())).toEqual(['before reload']);
  });

  it('forgets what another tab delivered, keeps what it has not written yet', async () => {
    const store = freshStore();
    const tabA = createQueue(100, store);
    const tabB = createQueue(100, store);
    const delivered = envelope('delivered by B');
    await tabA.push(delivered);
    await tabB.remove((await tabB.all()).map((e) => e.id));
    const writing = tabA.push(envelope('still being written'));
    expect(events(await tabA.all())).toEqual(['still being written']);
    await writing;
    expect(events(await tabB.all())).toEqual(['still being written']);
  });

  it('enforces the bound across tabs sharing the store', async () => {
    const store = freshStore();
    const tabA = createQueue(2, store);
    const tabB = createQueue(2, store);
    await tabA.push(envelope('a1', 1000));
    await tabB.push(envelope('b1', 2000));
    await tabA.push(envelope('a2', 3000));
    expect(events(await tabB.all())).toEqual(['b1', 'a2']);
    expect(tabA.dropped()).toBe(1);
  });
});

describe('queue when IndexedDB fails', () => {
  it('falls back to memory, keeps working and says why', async () => {
    const failing: UseStore = () => Promise.reject(new DOMException('blocked', 'InvalidStateError'));
    const warn = vi.fn();
    const queue = createQueue(2, failing, warn);
    await queue.push(envelope('a', 1000));
    await queue.push(envelope('b', 2000));
    await queue.push(envelope('c', 3000));
    expect(events(await queue.all())).toEqual(['b', 'c']);
    expect(queue.dropped()).toBe(1);
    expect(warn).toHaveBeenCalledTimes(1);
    await queue.remove([(await queue.all())[0]!.id]);
    expect(events(await queue.all())).toEqual(['c']);
  });
});

import { beforeAll, describe, expect, it, vi } from 'vitest';
import { messageId } from './ids';
import { openStore } from './platform';
import { createQueue as makeQueue, READ, type Envelope, type Spill, type Store } from './queue';

/** The queue with the defaults a test needs: no warnings, envelopes pushed as they are, idle work in a later task. */
const createQueue = (max: number, store?: Store, warn = () => {}, admit = (e: Envelope): Envelope | void => e, idle: (fn: () => void) => void = setTimeout, spill?: Spill) =>
  makeQueue(max, store, warn, admit, idle, spill);

// fake-indexeddb reads `navigator` at import, which Node 20 does not have.
beforeAll(async () => {
  if (typeof navigator === 'undefined') vi.stubGlobal('navigator', { userAgent: 'node' });
  const { IDBFactory, IDBKeyRange } = await import('fake-indexeddb');
  vi.stubGlobal('indexedDB', new IDBFactory());
  vi.stubGlobal('IDBKeyRange', IDBKeyRange);
});

let dbCount = 0;
const freshStore = () => openStore(`satu-test-${++dbCount}`)!;
const envelope = (event: string, at = Date.now()): Envelope => ({
  id: messageId(at),
  attempts: 0,
  nextAttemptAt: 0,
  json: JSON.stringify({ type: 'track', event, anonymousId: 'a1' }),
});
const events = (list: Envelope[]) => list.map((e) => JSON.parse(e.json).event);

// The same behaviour is required of the IndexedDB queue and of the memory fallback.
describe.each([
  ['IndexedDB', () => freshStore()],
  ['memory', () => undefined],
])('queue (%s)', (_name, store) => {
  it('returns what was pushed, oldest first, and pending() sees it once made: in a later task, or at once by write(true)', async () => {
    const queue = createQueue(100, store());
    const pushing = [queue._push(envelope('b', 2000)), queue._push(envelope('a', 1000))];
    // A call only queues; its envelope is made in a later task (or now, at page hide).
    expect(queue._pending()).toEqual([]);
    queue._write(true);
    expect(events(queue._pending())).toEqual(['a', 'b']);
    await Promise.all(pushing);
    expect(events(await queue._oldest())).toEqual(['a', 'b']);
  });

  it('removes acknowledged envelopes and writes back retry state', async () => {
    const queue = createQueue(100, store());
    const [a, b] = [envelope('a'), envelope('b')];
    await queue._push(a);
    await queue._push(b);
    await queue._put([{ ...b, attempts: 2, nextAttemptAt: 123 }]);
    await queue._remove([a.id]);
    expect(await queue._oldest()).toEqual([{ ...b, attempts: 2, nextAttemptAt: 123 }]);
    expect(queue._pending()).toHaveLength(1);
  });

  it('is bounded: overflow drops the oldest and counts them', async () => {
    const queue = createQueue(3, store());
    for (let i = 0; i < 5; i++) await queue._push(envelope(`e${i}`, 1000 + i));
    expect(events(await queue._oldest())).toEqual(['e2', 'e3', 'e4']);
    expect(queue._dropped()).toBe(2);
  });

  it('clears everything (opt-out)', async () => {
    const queue = createQueue(10, store());
    await queue._push(envelope('a'));
    await queue._clear();
    expect(await queue._oldest()).toEqual([]);
    expect(queue._pending()).toEqual([]);
  });
});

describe('queue across page loads and tabs (IndexedDB)', () => {
  it('keeps events for the next page load until they are removed', async () => {
    const store = freshStore();
    const first = createQueue(100, store);
    await first._push(envelope('before reload'));
    const second = createQueue(100, store); // the reloaded page
    expect(second._pending()).toEqual([]);
    expect(events(await second._oldest())).toEqual(['before reload']);
    expect(events(second._pending())).toEqual(['before reload']);
  });

  it('forgets what another tab delivered, keeps what it has not written yet', async () => {
    const store = freshStore();
    const tabA = createQueue(100, store);
    const tabB = createQueue(100, store);
    const delivered = envelope('delivered by B');
    await tabA._push(delivered);
    await tabB._remove((await tabB._oldest()).map((e) => e.id));
    const writing = tabA._push(envelope('still being written'));
    expect(events(await tabA._oldest())).toEqual(['still being written']);
    await writing;
    expect(events(await tabB._oldest())).toEqual(['still being written']);
  });

  it('removes exactly the acknowledged envelopes, keeping other tabs\' events stored between them, with a delete request per run', async () => {
    const store = freshStore();
    const deletes: unknown[] = [];
    const counting: Store = (fn) =>
      store((s) => {
        const remove = s.delete.bind(s);
        s.delete = (key) => (deletes.push(key), remove(key));
        return fn(s);
      });
    const tabA = createQueue(100, counting);
    const tabB = createQueue(100, store);
    await Promise.all([1, 2, 3].map((i) => tabA._push(envelope(`a${i}`, 1000 + i))));
    await tabB._push(envelope('b', 1004));
    await Promise.all([5, 6].map((i) => tabA._push(envelope(`a${i}`, 1000 + i))));
    const sent = await tabA._oldest();
    const ours = sent.filter((e) => !events([e])[0].startsWith('b')).map((e) => e.id);
    // a7 was never stored (or another tab delivered it already): nothing to delete for it.
    await tabA._remove([...ours, messageId(1007)]);
    expect(events(await tabB._oldest())).toEqual(['b']);
    expect(deletes).toHaveLength(2); // a1-a3 and a5-a6, around b
  });

  it('enforces the bound across tabs sharing the store', async () => {
    const store = freshStore();
    const tabA = createQueue(2, store);
    const tabB = createQueue(2, store);
    await tabA._push(envelope('a1', 1000));
    await tabB._push(envelope('b1', 2000));
    await tabA._push(envelope('a2', 3000));
    expect(events(await tabB._oldest())).toEqual(['b1', 'a2']);
    // Counted once, by the tab that enforced the bound (here B's read, or A's idle-time check).
    expect(tabA._dropped() + tabB._dropped()).toBe(1);
  });

  it('enforces the bound in idle time after a write, without a read', async () => {
    const store = freshStore();
    const idle: (() => void)[] = [];
    const queue = createQueue(2, store, undefined, undefined, (fn) => idle.push(fn));
    for (const [i, name] of ['a', 'b', 'c'].entries()) queue._push(envelope(name, 1000 + i));
    await queue._push(envelope('d', 2000));
    expect(queue._dropped()).toBe(0);
    expect(idle).toHaveLength(1);
    idle[0]!();
    await vi.waitFor(() => expect(queue._dropped()).toBe(2));
    expect(events(await createQueue(100, store)._oldest())).toEqual(['c', 'd']);
  });

  it('writes everything pushed in one task in one go: one Promise for all, stored before it resolves', async () => {
    const store = freshStore();
    const queue = createQueue(100, store);
    const pushed = ['a', 'b', 'c'].map((name, i) => queue._push(envelope(name, 1000 + i)));
    expect(new Set(pushed).size).toBe(1);
    await pushed[0];
    expect(events(await createQueue(100, store)._oldest())).toEqual(['a', 'b', 'c']);
  });

  it('drops what admit() refuses when it is written, and keeps its neighbours', async () => {
    const store = freshStore();
    const queue = createQueue(100, store, undefined, (e) => (e.json.includes('too big') ? undefined : e));
    queue._push(envelope('a', 1000));
    await queue._push(envelope('too big', 2000));
    expect(events(queue._pending())).toEqual(['a']);
    expect(events(await createQueue(100, store)._oldest())).toEqual(['a']);
  });

  it('does not return what was pushed while it read, before it is stored', async () => {
    const queue = createQueue(100, freshStore());
    await queue._push(envelope('a', 1000));
    const reading = queue._oldest();
    const writing = queue._push({ ...envelope('b', 2000), json: '' }); // as satu pushes: JSON comes when written
    expect(events(await reading)).toEqual(['a']);
    expect(events(queue._pending().filter((e) => e.json))).toEqual(['a']);
    await writing;
    expect(queue._pending().map((e) => e.id)).toHaveLength(2);
  });

  it('reads envelopes stored by SDK 0.1.0 (message, no json) as JSON', async () => {
    const store = freshStore();
    const old = { id: messageId(1000), attempts: 1, nextAttemptAt: 0, message: { type: 'track' as const, event: 'from 0.1.0' } };
    await store((s) => void s.put(old, old.id));
    const [read] = await createQueue(100, store)._oldest();
    expect(JSON.parse(read!.json)).toEqual(old.message);
  });

  it('writes a burst over several tasks, one transaction each, and settles it once all are stored', async () => {
    const store = freshStore();
    const puts: number[] = []; // envelopes written per transaction
    const counting: Store = (fn) =>
      store((s) => {
        const i = puts.push(0) - 1;
        const put = s.put.bind(s);
        s.put = (...args) => (puts[i]!++, put(...args));
        return fn(s);
      });
    // Preparing an envelope takes 1 ms here: a task stops preparing once its time slice is spent.
    const slow = (e: Envelope) => {
      for (const until = performance.now() + 1; performance.now() < until; );
      return e;
    };
    const queue = createQueue(1000, counting, undefined, slow);
    let pushed!: Promise<void>;
    for (let i = 0; i < 40; i++) pushed = queue._push(envelope(`e${i}`, 1000 + i));
    await pushed;
    const writes = puts.filter(Boolean);
    expect(writes.length).toBeGreaterThan(1);
    expect(Math.max(...writes)).toBeLessThanOrEqual(8);
    expect(await createQueue(1000, store)._oldest()).toHaveLength(40);
    // However cheap preparing is, a task hands at most 16 envelopes to IndexedDB (each a put request).
    puts.length = 0;
    const fast = createQueue(1000, counting);
    for (let i = 0; i < 40; i++) pushed = fast._push(envelope(`f${i}`, 2000 + i));
    await pushed;
    expect(puts.filter(Boolean)).toEqual([16, 16, 8]);
  });

  it('keeps writing when a task starts too late to make anything in its time slice (a preempted thread)', async () => {
    const store = freshStore();
    // Every reading of the clock is 10 ms after the last: each slice is spent before its first envelope.
    let now = 0;
    const clock = vi.spyOn(performance, 'now').mockImplementation(() => (now += 10));
    try {
      const queue = createQueue(100, store);
      let pushed!: Promise<void>;
      for (let i = 0; i < 5; i++) pushed = queue._push(envelope(`e${i}`, 1000 + i));
      await pushed;
    } finally {
      clock.mockRestore();
    }
    expect(events(await createQueue(100, store)._oldest())).toEqual(['e0', 'e1', 'e2', 'e3', 'e4']);
  });

  it('settles the Promise of calls that clear() dropped before they were written (opt-out)', async () => {
    const queue = createQueue(100, freshStore());
    const pushed = queue._push(envelope('a'));
    await queue._clear();
    await pushed;
    expect(await queue._oldest()).toEqual([]);
  });

  it("reads a request's worth at a time, oldest first, and forgets only what it knows another tab delivered", async () => {
    const store = freshStore();
    const tabA = createQueue(1000, store);
    const tabB = createQueue(1000, store);
    let pushed!: Promise<void>;
    for (let i = 0; i < READ + 10; i++) pushed = tabA._push(envelope(`e${i}`, 1000 + i));
    await pushed;
    const first = await tabB._oldest();
    expect(first).toHaveLength(READ);
    await tabB._remove(first.slice(0, 5).map((e) => e.id));
    expect(events(await tabA._oldest()).slice(0, 2)).toEqual(['e5', 'e6']);
    expect(tabA._size()).toBe(READ + 5);
  });

  it('write() starts the transaction at once (page hide): a reader sees it without waiting a task', async () => {
    const store = freshStore();
    const queue = createQueue(100, store);
    queue._push(envelope('hidden', 1000));
    queue._write();
    // A read made now is ordered after that write, not after the next task's.
    expect(events(await createQueue(100, store)._oldest())).toEqual(['hidden']);
  });
});

describe('queue page-exit copy (spill)', () => {
  /** What localStorage is to the browser: a synchronous map, shared by the site's pages. */
  const mapSpill = (map = new Map<string, string>()): Spill & { map: Map<string, string> } => ({
    map,
    _read: () => [...map].map(([k, v]) => [k, JSON.parse(v)]),
    _write: (key, envelopes) => void (envelopes ? map.set(key, JSON.stringify(envelopes)) : map.delete(key)),
  });

  it('keeps what a write that dies with the page never stored, and the next page stores it before reading', async () => {
    const store = freshStore();
    const spill = mapSpill();
    // The page goes: its transactions never complete (Chromium aborts them with the document).
    const dying: Store = () => new Promise(() => {});
    const page = createQueue(100, dying, undefined, undefined, undefined, spill);
    page._push(envelope('a', 1000));
    page._push(envelope('b', 2000));
    page._write(true);
    page._keep();
    expect(spill.map.size).toBe(1);
    const next = createQueue(100, store, undefined, undefined, undefined, spill);
    expect(events(await next._oldest())).toEqual(['a', 'b']);
    expect(spill.map.size).toBe(0);
    expect(events(await createQueue(100, store)._oldest())).toEqual(['a', 'b']);
  });

  it('removes its copy once what it holds is stored (the page lived on, e.g. a hidden tab shown again)', async () => {
    const spill = mapSpill();
    const queue = createQueue(100, freshStore(), undefined, undefined, undefined, spill);
    const pushed = queue._push(envelope('a', 1000));
    queue._write(true);
    queue._keep();
    expect(spill.map.size).toBe(1);
    await pushed;
    expect(spill.map.size).toBe(0);
  });

  it('copies nothing once everything is stored, or without IndexedDB (nothing would read it back)', async () => {
    const spill = mapSpill();
    const stored = createQueue(100, freshStore(), undefined, undefined, undefined, spill);
    await stored._push(envelope('a'));
    stored._keep();
    const memory = createQueue(100, undefined, undefined, undefined, undefined, spill);
    memory._push(envelope('b'));
    memory._write(true);
    memory._keep();
    expect(spill.map.size).toBe(0);
  });
});

describe('queue when IndexedDB fails', () => {
  it('falls back to memory, keeps working and says why', async () => {
    const failing: Store = () => Promise.reject(new DOMException('blocked', 'InvalidStateError'));
    const warn = vi.fn();
    const queue = createQueue(2, failing, warn);
    await queue._push(envelope('a', 1000));
    await queue._push(envelope('b', 2000));
    await queue._push(envelope('c', 3000));
    expect(events(await queue._oldest())).toEqual(['b', 'c']);
    expect(queue._dropped()).toBe(1);
    expect(warn).toHaveBeenCalledTimes(1);
    await queue._remove([(await queue._oldest())[0]!.id]);
    expect(events(await queue._oldest())).toEqual(['c']);
  });
});

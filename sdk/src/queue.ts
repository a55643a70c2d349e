import type { Message } from './contract';

/** One queued message with its delivery state; `id` is the messageId, which sorts oldest first. */
export interface Envelope {
  id: string;
  attempts: number;
  /** Epoch ms before which it is not retried (backoff). */
  nextAttemptAt: number;
  /** The message as JSON, what is stored and sent: made once, when it is written (`admit`). */
  json: string;
  /** The message until then (the queue of SDK 0.1.0 stored this instead of `json`). */
  message?: Message;
}


/** Runs `fn` in a read-write transaction of the queue's object store; settles when it completes (platform's openStore). */
export type Store = (fn: (s: IDBObjectStore) => void) => Promise<void>;

/**
 * A synchronous store for what the page still holds unsaved when it goes (localStorage in the
 * browser): IndexedDB transactions still running when a document is torn down are aborted by
 * Chromium (every unfinished transaction of the page's connection, however early it was started),
 * while a localStorage write made in pagehide is done when the call returns.
 */
export interface Spill {
  /** Every copy pages left behind, by key. */
  _read(): [string, Envelope[]][];
  /** Writes the copy under `key`, or removes it (null). */
  _write(key: string, envelopes: Envelope[] | null): void;
}

/**
 * Members named `_x` are internal to the SDK: the script-tag build shortens them (scripts/build-sdk.mjs).
 * `T` is what a call pushes: the queue turns it into an envelope (`admit`) in a later task.
 */
export interface Queue<T = Envelope> {
  /**
   * Queues a call; resolves once IndexedDB holds its envelope (or at once in memory mode, or when
   * `admit` refused it). Synchronous work is an array push: calls are made into envelopes (`admit`)
   * and written in later tasks, one transaction per task, and every push until they are all written
   * gets the same Promise.
   */
  _push(item: T): Promise<void>;
  /** Makes and starts writing everything pushed now rather than in the next tasks (page hide, a getter). */
  _write(everything?: boolean): void;
  /**
   * Copies what is not in IndexedDB yet to the spill, synchronously (page hide, after write(true)).
   * The copy is removed once those envelopes are stored; a later read moves any copy left by a page
   * that went into IndexedDB first.
   */
  _keep(): void;
  /**
   * The oldest envelopes queued by every tab of the site (at most `READ`, any spill left by a page
   * moved in first), oldest first: what a delivery round sends next. Never returns an envelope
   * before it is stored.
   */
  _oldest(): Promise<Envelope[]>;
  /**
   * What this page knows to be unacknowledged, synchronously (for pagehide, which cannot wait):
   * every envelope made so far (write(true) first makes every call pushed).
   */
  _pending(): Envelope[];
  /** How many envelopes pending() would return, without sorting them. */
  _size(): number;
  /** Writes back envelopes whose attempts/nextAttemptAt changed. */
  _put(envelopes: Envelope[]): Promise<void>;
  /** Removes acknowledged (or dropped) envelopes. */
  _remove(ids: string[]): Promise<void>;
  _clear(): Promise<void>;
  /** How many envelopes overflow pushed out since this page loaded. */
  _dropped(): number;
}

/**
 * Most envelopes one read returns: a delivery round reads what it sends, a request's worth at a
 * time. 100, not more: the browser deserialises them all in the read's success task (measured up to
 * 45 ms for 200 on a loaded machine, a long task).
 */
export const READ = 100;
/**
 * What one write task takes on: at most SLICE_MS of making envelopes and at most SLICE_MAX of
 * them, so that making them and handing them to IndexedDB (a put request and a structured clone
 * each, 35-40 us a put in a CPU profile of a burst, more than making the envelope) stay short tasks
 * on a slow or loaded machine: at 4x CPU throttling in Chromium, 40 a task made 25-58 ms tasks.
 */
const SLICE_MS = 3;
const SLICE_MAX = 16;

const byId = (a: Envelope, b: Envelope) => (a.id < b.id ? -1 : 1); // ids are unique

/**
 * The delivery queue: IndexedDB (shared by the site's tabs, survives crashes and reloads) with an
 * in-memory mirror of what this page knows is pending. Every message is written before anything
 * is sent (a read first starts the writes it would otherwise overtake) and removed only when
 * acknowledged. Writes are coalesced: what was pushed is made into an envelope (`admit`, which gives
 * its id and JSON, or nothing to refuse it) and written in later tasks, each spending at most
 * SLICE_MS making and writing its share in one transaction, so a call costs the page an array push
 * and a burst never makes a long task. Bounded at `max` envelopes: overflow drops the oldest and counts them,
 * checked when the queue is read and, after writes, in idle time (`idle`).
 * If IndexedDB is missing or fails (private modes, blocked, quota), the mirror carries on alone
 * as a memory queue.
 *
 * @example
 * const queue = createQueue(1000, openStore('satu'), console.warn, (e: Envelope) => e, setTimeout);
 * await queue._push({ id: messageId(Date.now()), attempts: 0, nextAttemptAt: 0, json: JSON.stringify(message) });
 */
export function createQueue<T = Envelope>(
  max: number,
  store: Store | undefined,
  warn: (reason: unknown) => void,
  admit: (item: T) => Envelope | void,
  idle: (fn: () => void) => void,
  spill?: Spill,
): Queue<T> {
  const mirror = new Map<string, Envelope>();
  /** Ids whose IndexedDB write finished: absent from a later read means another tab delivered them. */
  const saved = new Set<string>();
  let dropped = 0;
  /** Pushed and not yet made and handed to IndexedDB; `written` settles when they are all stored. */
  let unwritten: T[] = [];
  let written: Promise<void> | undefined;
  let settle: () => void;
  let trimming = false;
  /** This page's spill key and the ids in it, while it has one. */
  const key = 'satu_q' + Math.random().toString(36).slice(2);
  let kept: string[] | undefined;

  /** Runs `fn` in a read-write transaction (every use writes) and waits for it; on failure IndexedDB is given up for memory. */
  const use = (fn: (s: IDBObjectStore) => void): Promise<void> =>
    store
      ? store(fn).catch((err) => {
          // IndexedDB is unusable here (blocked, quota, Safari closed it): memory from now on.
          warn(err);
          store = undefined;
        })
      : Promise.resolve();

  /** Removes this page's spill once everything in it is stored (or delivered). */
  const unkeep = () => {
    if (kept?.every((id) => saved.has(id) || !mirror.has(id))) spill!._write(key, null), (kept = undefined);
  };

  /** In transaction `s`: deletes the oldest envelopes beyond `max` (every tab's), then calls `then`. */
  const bound = (s: IDBObjectStore, then = () => {}) => {
    const count = s.count();
    count.onsuccess = () => {
      if (count.result <= max) return then();
      const keys = s.getAllKeys(null, count.result - max);
      keys.onsuccess = () => {
        dropped += keys.result.length;
        for (const id of keys.result) mirror.delete(id as string);
        // The oldest keys of the store, in this transaction: one range request deletes them all.
        s.delete(IDBKeyRange.upperBound(keys.result.at(-1)));
        then();
      };
    };
  };

  const write = (everything?: boolean) => {
    const start = performance.now();
    const batch: Envelope[] = [];
    let i = 0;
    // At least one a task, however late it got going: a task whose thread was preempted between
    // `start` and the first check took none, scheduled no next task and left the queue stalled
    // (seen in the bench under CPU throttling: the delivery round then waited for it for good).
    while (i < unwritten.length && (everything || !i || (i < SLICE_MAX && (i % 4 || performance.now() - start < SLICE_MS)))) {
      const e = admit(unwritten[i++]!);
      if (!e) continue;
      batch.push(e);
      mirror.set(e.id, e);
      // The mirror is in push order, so its first key is the oldest this page knows.
      if (mirror.size > max) mirror.delete(mirror.keys().next().value!), store || dropped++;
    }
    unwritten = unwritten.slice(i);
    if (!i) {
      // Nothing left to write: clear() dropped what the Promise waited for.
      if (written) settle(), (written = undefined);
      return;
    }
    let finish: (() => void) | undefined;
    // Transactions on one store complete in order: the last one's settles every push before it.
    if (unwritten.length) setTimeout(write);
    else (finish = settle), (written = undefined);
    use((s) => {
      for (const e of batch) s.put(e, e.id);
      // Hand the transaction to the browser now: nothing waits for a later request of ours.
      s.transaction.commit?.();
    }).then(() => {
      if (store) for (const e of batch) saved.add(e.id);
      unkeep();
      finish?.();
      if (store && !trimming) {
        trimming = true;
        idle(() => use(bound).then(() => (trimming = false)));
      }
    });
  };

  return {
    _push(item) {
      unwritten.push(item);
      if (!written) {
        written = new Promise((resolve) => (settle = resolve));
        setTimeout(write);
      }
      return written;
    },
    _write: write,
    _keep() {
      const unsaved = store && spill ? [...mirror.values()].filter((e) => !saved.has(e.id)) : [];
      if (unsaved.length) spill!._write(key, unsaved), (kept = unsaved.map((e) => e.id));
    },
    async _oldest() {
      await written; // so the read is ordered after the writes of what was pushed, still in time slices
      const left = (store && spill?._read()) || [];
      let list: Envelope[] | undefined;
      await use((s) => {
        for (const [, envelopes] of left) for (const e of envelopes) s.put(e, e.id);
        bound(s, () => {
          const all = s.getAll(null, READ);
          all.onsuccess = () => (list = all.result);
        });
      });
      if (!list) return this._pending().slice(0, READ);
      // In IndexedDB now, and `kept` knows them as saved: this page's own copy goes too.
      for (const [k] of left) spill!._write(k, null);
      if (left.some(([k]) => k == key)) kept = undefined;
      const read = new Set(list.map((e) => (saved.add(e.id), (e.json ??= JSON.stringify(e.message)), mirror.set(e.id, e), e.id)));
      // Stored, within the range read, and not there: another tab delivered it.
      const last = list.length < READ ? '\uffff' : list.at(-1)!.id;
      for (const id of saved) if (id < last && !read.has(id)) saved.delete(id), mirror.delete(id);
      return list; // in key order: oldest first
    },
    _pending: () => [...mirror.values()].sort(byId),
    _size: () => mirror.size,
    async _put(envelopes) {
      for (const e of envelopes) mirror.set(e.id, e);
      await use((s) => {
        for (const e of envelopes) s.put(e, e.id);
      });
      if (store) for (const e of envelopes) saved.add(e.id);
    },
    async _remove(ids) {
      for (const id of ids) mirror.delete(id), saved.delete(id);
      const gone = new Set(ids);
      const sorted = [...gone].sort();
      if (!sorted.length) return;
      // A delete request per envelope cost the page 40 us each (100 per response). Instead, the
      // keys stored in their span, read in this transaction (other tabs' events may lie between
      // ours), and one range delete per run of consecutive keys that are all ours: usually one.
      await use((s) => {
        const keys = s.getAllKeys(IDBKeyRange.bound(sorted[0], sorted.at(-1)));
        keys.onsuccess = () => {
          let from: IDBValidKey | undefined;
          let to: IDBValidKey | undefined;
          for (const k of [...keys.result, 0]) {
            if (gone.has(k as string)) (from ??= k), (to = k);
            else if (from) s.delete(IDBKeyRange.bound(from, to)), (from = undefined);
          }
        };
      });
      unkeep();
    },
    async _clear() {
      mirror.clear();
      unwritten = [];
      await use((s) => s.clear());
    },
    _dropped: () => dropped,
  };
}

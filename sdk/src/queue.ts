import { promisifyRequest, type UseStore } from 'idb-keyval';
import type { Message } from './contract';

/** One queued message with its delivery state; `id` is the messageId, which sorts oldest first. */
export interface Envelope {
  id: string;
  attempts: number;
  /** Epoch ms before which it is not retried (backoff). */
  nextAttemptAt: number;
  /** The message as JSON, what is stored and sent: serialised once, when it is written (`admit`). */
  json: string;
  /** The message until then (the queue of SDK 0.1.0 stored this instead of `json`). */
  message?: Message;
}

/**
 * A synchronous store for what the page still holds unsaved when it goes (localStorage in the
 * browser): IndexedDB transactions still running when a document is torn down are aborted by
 * Chromium (every unfinished transaction of the page's connection, however early it was started),
 * while a localStorage write made in pagehide is done when the call returns.
 */
export interface Spill {
  /** Every copy pages left behind, by key. */
  read(): [string, Envelope[]][];
  /** Writes the copy under `key`, or removes it (null). */
  write(key: string, envelopes: Envelope[] | null): void;
}

/** Most envelopes written in one task: a burst is stored over several short tasks, not one long one. */
const WRITE_CHUNK = 50;

export interface Queue {
  /**
   * Queues an envelope; resolves once IndexedDB holds it (or at once in memory mode). Synchronous
   * work is a Map insert: every envelope pushed in one task is written in one transaction, in the
   * next task, and every push of that task gets the same Promise.
   */
  push(envelope: Envelope): Promise<void>;
  /**
   * Starts writing everything pushed now rather than in the next tasks, and writes again what is
   * still being written (page hide, before a read).
   */
  write(everything?: boolean): void;
  /**
   * Copies what is not in IndexedDB yet to the spill, synchronously (page hide, after write(true)).
   * The copy is removed once those envelopes are stored; a later read moves any copy left by a page
   * that went into IndexedDB first.
   */
  keep(): void;
  /** Everything queued by every tab of the site (and every spill left by a page), oldest first. */
  all(): Promise<Envelope[]>;
  /** What this page knows to be unacknowledged, synchronously (for pagehide, which cannot wait). */
  pending(): Envelope[];
  /** How many envelopes pending() would return, without sorting them. */
  size(): number;
  /** Writes back envelopes whose attempts/nextAttemptAt changed. */
  put(envelopes: Envelope[]): Promise<void>;
  /** Removes acknowledged (or dropped) envelopes. */
  remove(ids: string[]): Promise<void>;
  clear(): Promise<void>;
  /** How many envelopes overflow pushed out since this page loaded. */
  dropped(): number;
}

const byId = (a: Envelope, b: Envelope) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

/**
 * The delivery queue: IndexedDB (shared by the site's tabs, survives crashes and reloads) with an
 * in-memory mirror of what this page knows is pending. Every message is written before anything
 * is sent (a read first starts the writes it would otherwise overtake) and removed only when
 * acknowledged. Writes are coalesced: one transaction per task for what was pushed (up to
 * WRITE_CHUNK), so a call costs the page a Map insert. `admit` prepares each envelope when its
 * write comes (sets `json`) or refuses it (e.g. over the size limit), which drops it. Bounded at
 * `max` envelopes: overflow drops the oldest and counts them, checked when the queue is read and,
 * after writes, in idle time (`idle`).
 * If IndexedDB is missing or fails (private modes, blocked, quota), the mirror carries on alone
 * as a memory queue.
 *
 * @example
 * const queue = createQueue(1000, createStore('satu', 'queue'));
 * await queue.push({ id: messageId(Date.now()), attempts: 0, nextAttemptAt: 0, json: JSON.stringify(message) });
 */
export function createQueue(
  max: number,
  store?: UseStore,
  warn: (reason: unknown) => void = () => {},
  admit: (envelope: Envelope) => boolean = () => true,
  idle: (fn: () => void) => void = setTimeout,
  spill?: Spill,
): Queue {
  let mirror = new Map<string, Envelope>();
  /** Ids whose IndexedDB write finished: absent from a later read means another tab delivered them. */
  const saved = new Set<string>();
  let dropped = 0;
  /** Pushed in this task and not yet handed to IndexedDB; `written` settles when they are stored. */
  let unwritten: Envelope[] = [];
  let written: Promise<void> | undefined;
  let settle: () => void;
  let trimming = false;
  /** This page's spill key and the ids in it, while it has one. */
  const key = 'satu_q' + Math.random().toString(36).slice(2);
  let kept: string[] | undefined;
  /** Removes this page's spill once everything in it is stored (or delivered). */
  const unkeep = () => {
    if (kept?.every((id) => saved.has(id) || !mirror.has(id))) spill!.write(key, null), (kept = undefined);
  };

  const use = <T>(mode: IDBTransactionMode, fn: (s: IDBObjectStore) => T | PromiseLike<T>): Promise<T | void> =>
    store
      ? store(mode, fn).catch((err) => {
          // IndexedDB is unusable here (blocked, quota, Safari closed it): memory from now on.
          warn(err);
          store = undefined;
        })
      : Promise.resolve();

  /** In transaction `s`: deletes the oldest envelopes beyond `max` (every tab's), then calls `then`. */
  const bound = (s: IDBObjectStore, then = () => {}) => {
    const keys = s.getAllKeys();
    keys.onsuccess = () => {
      const excess = keys.result.slice(0, Math.max(0, keys.result.length - max));
      dropped += excess.length;
      for (const id of excess) s.delete(id), mirror.delete(id as string);
      then();
    };
  };

  const write = (everything?: boolean) => {
    // `everything` (page hide, reads) also writes again what is still being written: Chromium can
    // abort a transaction in flight when the page goes, while one started in pagehide completes.
    const fresh = new Set(unwritten.splice(0, everything ? unwritten.length : WRITE_CHUNK));
    const again = everything && store ? [...mirror.values()].filter((e) => e.json && !saved.has(e.id) && !fresh.has(e)) : [];
    if (!written && !again.length) return;
    const batch = again.concat([...fresh].filter((e) => admit(e) || !mirror.delete(e.id)));
    let done: (() => void) | undefined;
    // Transactions on one store complete in order: the last chunk's settles every push before it.
    if (unwritten.length) setTimeout(write);
    else (done = settle), (written = undefined);
    use('readwrite', (s) => {
      for (const e of batch) s.put(e, e.id);
      // Hand the transaction to the browser now: nothing waits for a later request of ours.
      s.transaction.commit?.();
      return promisifyRequest(s.transaction);
    }).then(() => {
      if (store) for (const e of batch) saved.add(e.id);
      unkeep();
      done?.();
      if (store && !trimming) {
        trimming = true;
        idle(() => use('readwrite', (s) => (bound(s), promisifyRequest(s.transaction))).then(() => (trimming = false)));
      }
    });
  };

  return {
    push(envelope) {
      mirror.set(envelope.id, envelope);
      // The mirror is in push order, so its first key is the oldest this page knows.
      if (mirror.size > max) mirror.delete(mirror.keys().next().value!), store || dropped++;
      unwritten.push(envelope);
      if (!written) {
        written = new Promise((resolve) => (settle = resolve));
        setTimeout(write);
      }
      return written;
    },
    write,
    keep() {
      const unsaved = store && spill ? [...mirror.values()].filter((e) => e.json && !saved.has(e.id)) : [];
      if (unsaved.length) spill!.write(key, unsaved), (kept = unsaved.map((e) => e.id));
    },
    async all() {
      write(true); // so the read below is ordered after the writes of what was pushed
      const left = (store && spill?.read()) || [];
      let list: Envelope[] | undefined;
      await use('readwrite', (s) => {
        for (const [, envelopes] of left) for (const e of envelopes) s.put(e, e.id);
        bound(s, () => {
          const all = s.getAll();
          all.onsuccess = () => (list = all.result);
        });
        return promisifyRequest(s.transaction);
      });
      if (list) {
        // In IndexedDB now, and `kept` knows them as saved: this page's own copy goes too.
        for (const [k] of left) spill!.write(k, null);
        if (left.some(([k]) => k == key)) kept = undefined;
        const next = new Map(list.map((e) => (saved.add(e.id), (e.json ??= JSON.stringify(e.message)), [e.id, e])));
        // Pushed while this read ran: pending, but not returned (not sent) before it is stored.
        mirror.forEach((e, id) => saved.has(id) || next.set(id, e));
        mirror = next;
        return list; // in key order: oldest first
      }
      return [...mirror.values()].filter((e) => e.json).sort(byId);
    },
    pending: () => [...mirror.values()].sort(byId),
    size: () => mirror.size,
    async put(envelopes) {
      for (const e of envelopes) mirror.set(e.id, e);
      await use('readwrite', (s) => {
        for (const e of envelopes) s.put(e, e.id);
        return promisifyRequest(s.transaction);
      });
      if (store) for (const e of envelopes) saved.add(e.id);
    },
    async remove(ids) {
      for (const id of ids) mirror.delete(id), saved.delete(id);
      await use('readwrite', (s) => {
        for (const id of ids) s.delete(id);
        return promisifyRequest(s.transaction);
      });
      unkeep();
    },
    async clear() {
      mirror.clear();
      unwritten = [];
      await use('readwrite', (s) => {
        s.clear();
        return promisifyRequest(s.transaction);
      });
    },
    dropped: () => dropped,
  };
}

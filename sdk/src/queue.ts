import { promisifyRequest, type UseStore } from 'idb-keyval';
import type { Message } from './contract';

/** One queued message with its delivery state; `id` is the messageId, which sorts oldest first. */
export interface Envelope {
  id: string;
  attempts: number;
  /** Epoch ms before which it is not retried (backoff). */
  nextAttemptAt: number;
  message: Message;
}

export interface Queue {
  /** Persists an envelope; resolves once IndexedDB holds it (or at once in memory mode). */
  push(envelope: Envelope): Promise<void>;
  /** Everything queued by every tab of the site, oldest first. */
  all(): Promise<Envelope[]>;
  /** What this page knows to be unacknowledged, synchronously (for pagehide, which cannot wait). */
  pending(): Envelope[];
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
 * in-memory mirror of what this page knows is pending. Every message is written on push, before
 * anything is sent, and removed only when acknowledged. Bounded at `max` envelopes: overflow
 * drops the oldest and counts them. If IndexedDB is missing or fails (private modes, blocked,
 * quota), the mirror carries on alone as a memory queue.
 *
 * @example
 * const queue = createQueue(1000, createStore('satu', 'queue'));
 * await queue.push({ id: messageId(Date.now()), attempts: 0, nextAttemptAt: 0, message });
 */
export function createQueue(max: number, store?: UseStore, warn: (reason: unknown) => void = () => {}): Queue {
  let mirror = new Map<string, Envelope>();
  /** Ids whose IndexedDB write finished: absent from a later read means another tab delivered them. */
  const saved = new Set<string>();
  let dropped = 0;

  const use = <T>(mode: IDBTransactionMode, fn: (s: IDBObjectStore) => T | PromiseLike<T>): Promise<T | void> =>
    store
      ? store(mode, fn).catch((err) => {
          // IndexedDB is unusable here (blocked, quota, Safari closed it): memory from now on.
          warn(err);
          store = undefined;
        })
      : Promise.resolve();

  const trimMirror = () => {
    const excess = [...mirror.keys()].sort().slice(0, Math.max(0, mirror.size - max));
    for (const id of excess) mirror.delete(id);
    if (!store) dropped += excess.length;
  };

  return {
    async push(envelope) {
      mirror.set(envelope.id, envelope);
      trimMirror();
      await use('readwrite', (s) => {
        s.put(envelope, envelope.id);
        const keys = s.getAllKeys();
        keys.onsuccess = () => {
          const excess = keys.result.slice(0, Math.max(0, keys.result.length - max));
          dropped += excess.length;
          for (const id of excess) s.delete(id), mirror.delete(id as string);
        };
        return promisifyRequest(s.transaction);
      });
      if (store) saved.add(envelope.id);
    },
    async all() {
      const list = await use('readonly', (s) => promisifyRequest(s.getAll() as IDBRequest<Envelope[]>));
      if (list) {
        const next = new Map(list.map((e) => (saved.add(e.id), [e.id, e])));
        mirror.forEach((e, id) => saved.has(id) || next.set(id, e));
        mirror = next;
      }
      return [...mirror.values()].sort(byId);
    },
    pending: () => [...mirror.values()].sort(byId),
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
    },
    async clear() {
      mirror.clear();
      await use('readwrite', (s) => {
        s.clear();
        return promisifyRequest(s.transaction);
      });
    },
    dropped: () => dropped,
  };
}

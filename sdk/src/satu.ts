import { parseRetryAfter } from './backoff';
import { afterFailure, nextBatch, nextFlushAt, sizeOf } from './batcher';
import { consentMode, type CategoryPreferences } from './consent';
import { MAX_MESSAGE_BYTES, type JsonObject, type Message, type TraitOps } from './contract';
import { identifyUser, resetUser, type User } from './identity';
import { messageId, uuid } from './ids';
import {
  browserFacts, campaign, currentUrl, documentReferrer, idle, isHidden, isOnline, listen, localSpill, onNavigate,
  openStore, pageFacts, readCookie, stored, timezone, withLock, writeCookie,
} from './platform';
import { createQueue, type Envelope } from './queue';
import { batchBody, post, postOnExit } from './transport';
import { retryable } from './transport-outcome';

export const VERSION = '0.1.0';
const LIBRARY = { name: 'satu', version: VERSION };
/**
 * Most bytes of messages in one request of a delivery round. Handing fetch() a body costs the main
 * thread a fixed part and a part in proportion to its size (in the bench's Chromium: a median 5 ms
 * for 60 KB, 2 ms for 30 KB, 1.4 ms for 15 KB, a call each), so a backlog goes out as several short
 * tasks, and 30 KB costs the least in all. Far under the collector's 500 KB.
 */
const BATCH_BYTES = 30_000;
/**
 * Most bytes sent when the page goes: browsers allow 64 KB of keepalive/beacon bodies in flight per
 * page (room kept for the batch wrapper), and a hidden page's task is no longer in anyone's way.
 */
const EXIT_BYTES = 60_000;
// Offline, a round is started again by the 'online' event and, should that never come (missed,
// or a browser that reports offline wrongly), by this recheck, which sends nothing while offline.
const OFFLINE_RECHECK_MS = 5000;

export interface SatuOptions {
  /** The workspace's write key (public, ingest only). */
  writeKey: string;
  /** The collector's origin, e.g. "https://cdp.example.com". */
  host: string;
  /** Send as soon as this many events are waiting. Default 20. */
  flushAt?: number;
  /** Otherwise send this many ms after the first waiting event. Default 1000. */
  flushInterval?: number;
  /** Most events kept waiting; beyond it the oldest are dropped and counted. Default 1000. */
  maxQueue?: number;
  /** Track page views automatically, including history-API navigations. Default true. */
  autoPage?: boolean;
  /** Hold events until consent: true (any category) or the category that must be granted. Default false. */
  requireConsent?: boolean | string;
  /** Cookie domain for the anonymous id (e.g. "example.com" shares it with subdomains). Default: this host. */
  cookieDomain?: string;
  /** Log drops and rejections with console.warn. Default false. */
  debug?: boolean;
}

export interface Satu {
  identify(userId?: string | null, traits?: JsonObject, traitOps?: TraitOps): Promise<void>;
  identify(traits: JsonObject, traitOps?: TraitOps): Promise<void>;
  track(event: string, properties?: JsonObject): Promise<void>;
  page(name?: string, properties?: JsonObject): Promise<void>;
  page(properties: JsonObject): Promise<void>;
  group(groupId: string, traits?: JsonObject, traitOps?: TraitOps): Promise<void>;
  alias(userId: string, previousId?: string): Promise<void>;
  reset(): void;
  flush(): Promise<void>;
  consent(categoryPreferences: CategoryPreferences): Promise<void>;
  optOut(): Promise<void>;
  optIn(): Promise<void>;
  anonymousId(): string;
  user(): User;
  /** Events pushed out of the full queue since this page loaded. */
  dropped(): number;
}

/** A call as queued: how it becomes a message once the page's state is at hand (nothing: opted out). */
type Call = () => Message | void;

/**
 * Creates the SDK: every call is written to the IndexedDB queue first, then sent in batches with
 * retries; what is left when the page goes away is sent with keepalive/sendBeacon and stays queued
 * until acknowledged. The facade only orchestrates; the rules live in their own modules.
 * Nothing is read from storage when it starts or in a call: a call records what it was and when,
 * and the user, consent and browser facts are read when its message is made, in a task after it,
 * in call order (the getters and consent changes make what is queued first).
 *
 * @example
 * const satu = createSatu({ writeKey: 'wk_...', host: 'https://cdp.example.com' });
 * satu.identify('user-42', { email: 'ana@example.com' });
 * satu.track('Order Completed', { total: 42 });
 */
export function createSatu(options: SatuOptions): Satu {
  const o = { flushAt: 20, flushInterval: 1000, maxQueue: 1000, autoPage: true, ...options };
  const url = o.host.replace(/\/+$/, '') + '/v1/batch';
  const warn = (...args: unknown[]) => void (o.debug && console.warn('[satu]', ...args));
  /**
   * When a call is written (in a task after it, in call order): its message and envelope, JSON and
   * size check, and the next delivery round's timer (kept out of the call: a timer costs more than
   * the rest of it).
   */
  const admit = (make: Call): Envelope | void => {
    const message = make();
    if (!message) return; // opted out: nothing to send
    const e: Envelope = { id: message.messageId!, attempts: 0, nextAttemptAt: 0, json: '' };
    try {
      e.json = JSON.stringify(message);
    } catch {} // not JSON (a cycle, a BigInt): dropped below, tracking must never throw into the page
    if (e.json && sizeOf(e) <= MAX_MESSAGE_BYTES) {
      // This one included, which the queue counts once it is admitted.
      schedule(nextFlushAt(Date.now(), queue._size() + 1, o.flushAt, o.flushInterval, pausedUntil));
      return e;
    }
    warn('dropped: over 32 KB or not JSON', message);
  };
  const queue = createQueue(o.maxQueue, openStore(), warn, admit, idle, localSpill());
  // Read on first use, never at start: the first localStorage or cookie access of a page is a
  // synchronous round trip to the browser process (up to 165 ms measured on a loaded machine).
  let facts: JsonObject;
  let user: User;
  let preferences: CategoryPreferences | null | undefined;
  let optedOut = false;
  const load = () => {
    if (facts) return; // loaded
    facts = browserFacts();
    const saved = stored<User>('satu_user');
    preferences = stored<CategoryPreferences>('satu_consent');
    optedOut = !!stored('satu_optout');
    saveUser({ traits: {}, userId: null, ...saved, anonymousId: readCookie('satu_aid') || saved?.anonymousId || uuid() });
  };
  /** Keeps the user, in storage and the cookie (a year from now again). */
  const saveUser = (next: User) => {
    stored('satu_user', (user = next));
    writeCookie('satu_aid', user.anonymousId, o.cookieDomain);
  };
  const mode = () => (load(), consentMode(o.requireConsent, preferences, optedOut));
  /** Makes every queued call's message now (before a getter answers or consent changes). */
  const settled = () => (queue._write(true), load());
  /** What page views report as the referrer: the document's, read on the first call, then the last URL. */
  let referrer: string | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let timerAt = Infinity;
  /** Set by a retry answer: nothing is sent before it (one backoff for the page, not one per event). */
  let pausedUntil = 0;
  let running = Promise.resolve();
  /** Ids sent by the page-exit path and not answered yet: a second exit event must not resend them. */
  const exiting = new Set<string>();

  const schedule = (at: number) => {
    if (at < timerAt) {
      // Not at start: a page's first use of clearTimeout costs it up to a millisecond (first touch).
      timer && clearTimeout(timer);
      timerAt = at;
      timer = setTimeout(() => ((timerAt = Infinity), send()), at - Date.now());
    }
  };

  /** One delivery round under the cross-tab lock, a request's worth at a time; `force` (flush()) ignores backoff. */
  const deliver = async (force?: boolean) => {
    if (mode() != 'send') return; // consent() starts the next round
    if (!isOnline()) return schedule(Date.now() + OFFLINE_RECHECK_MS);
    if (!force && Date.now() < pausedUntil) return schedule(pausedUntil);
    for (let batch; (batch = nextBatch(await queue._oldest(), Date.now(), !!force, BATCH_BYTES, exiting)).length; ) {
      const body = batchBody(o.writeKey, batch.map((e) => e.json));
      // The request in a task of its own: reading back and building the body are one task already.
      await new Promise((resolve) => setTimeout(resolve));
      const res = await post(url, body);
      if (retryable(res ? res.status : 0)) {
        const now = Date.now();
        pausedUntil = afterFailure(batch, now, parseRetryAfter(res?.headers.get('retry-after'), now), Math.random())[0]!.nextAttemptAt;
        await queue._put(batch);
        break;
      }
      // Stored, or refused for good (other 4xx): either way it leaves the queue.
      if (o.debug) res!.json().then((r) => warn(res!.status, r.rejected ?? r), warn);
      await queue._remove(batch.map((e) => e.id));
    }
    const left = queue._pending();
    if (left.length) schedule(Math.max(pausedUntil, Math.min(...left.map((e) => e.nextAttemptAt))));
  };

  const send = (force?: boolean): Promise<void> =>
    (running = running.then(() => withLock(() => deliver(force))).catch(warn));

  /** Page hide/unload: one keepalive-sized batch of what is pending; it stays queued until acknowledged. */
  const exit = () => {
    queue._write(true); // what was called lately: made now, and its transaction starts before the page goes
    queue._keep(); // and, as that transaction can die with the page, a synchronous copy of what is unsaved
    if (mode() != 'send') return;
    const batch = nextBatch(queue._pending(), 0, true, EXIT_BYTES, exiting);
    if (!batch.length) return;
    const ids = batch.map((e) => (exiting.add(e.id), e.id));
    postOnExit(url, batchBody(o.writeKey, batch.map((e) => e.json))).then((res) => {
      for (const id of ids) exiting.delete(id);
      if (res && res.ok) return queue._remove(ids);
    });
  };

  /**
   * What every call does synchronously: note the time and page, and queue a call whose message (and
   * messageId, from the call's time, in call order) is made when it is written. Properties are
   * referenced, not copied.
   */
  const enqueue = (build: (page: JsonObject) => Message, context?: JsonObject): Promise<void> => {
    const now = Date.now();
    // document.URL is location.href; reading it through `document` skips the Location object's
    // security checks (10 us of a call's 20 for location.href, cold, in Chromium).
    const href = document.URL;
    const title = document.title;
    const from = (referrer ??= documentReferrer());
    return queue._push(() => {
      const off = mode() == 'off';
      const page = pageFacts(href, title, from);
      const message = build(page); // first: identify() changes the user (opted out or not)
      if (off) return;
      return {
        anonymousId: user.anonymousId,
        userId: user.userId,
        timestamp: new Date(now).toISOString(),
        ...message,
        messageId: messageId(now),
        context: {
          ...facts,
          timezone: timezone(),
          page,
          campaign: campaign(), // of the URL pageFacts() just read
          library: LIBRARY,
          consent: preferences ? { categoryPreferences: preferences } : undefined,
          ...context,
        },
      };
    });
  };

  /** consent(), optOut(), optIn(): keeps the choice (its state is already set), then drops or sends. */
  const applyConsent = async (key: string, value: unknown) => {
    stored(key, value);
    const now = mode();
    if (now == 'off') await queue._clear();
    if (now == 'send') await send();
  };

  const satu: Satu = {
    identify(userId?: unknown, traits?: unknown, traitOps?: unknown) {
      if (userId && typeof userId == 'object') [userId, traits, traitOps] = [undefined, userId, traits];
      return enqueue(() => {
        const next = identifyUser(user, userId as string, traits as JsonObject, traitOps as TraitOps, uuid);
        saveUser(next);
        // Explicit nulls travel: they unset the trait on the profile.
        return { type: 'identify', traits: { ...next.traits, ...(traits as JsonObject) } };
      }, { traitOps }); // without trait operations `undefined`, which JSON leaves out
    },
    track: (event, properties) => enqueue(() => ({ type: 'track', event, properties })),
    page(name?: unknown, properties?: unknown) {
      if (name && typeof name == 'object') [name, properties] = [undefined, name];
      return enqueue((page) => ({ type: 'page', name: name as string, properties: { ...page, ...(properties as JsonObject) } }));
    },
    group: (groupId, traits, traitOps) => enqueue(() => ({ type: 'group', groupId, traits }), { traitOps }),
    alias: (userId, previousId) => enqueue(() => ({ type: 'alias', userId, previousId: previousId ?? user.userId ?? user.anonymousId })),
    reset: () => void (settled(), saveUser(resetUser(uuid))),
    flush: () => send(true),
    // Queued calls are made first, with the state of their moment.
    consent: (categoryPreferences) => (settled(), applyConsent('satu_consent', (preferences = categoryPreferences))),
    optOut: () => (settled(), applyConsent('satu_optout', (optedOut = true))),
    optIn: () => (settled(), applyConsent('satu_optout', (optedOut = false) || null)),
    anonymousId: () => (settled(), user.anonymousId),
    user: () => (settled(), { ...user }),
    dropped: () => queue._dropped(),
  };

  listen('pagehide', exit);
  listen('visibilitychange', () => isHidden() && exit(), 1);
  listen('online', () => send());
  // Once the inline snippet's buffered calls are replayed (right after this returns, so a buffered
  // identify comes first): the automatic page view and, on a page already hidden (the script tag
  // starts the SDK when the visitor leaves before the page was idle), the exit copy at once, as no
  // timer runs after that.
  queueMicrotask(() => {
    if (o.autoPage) satu.page();
    if (isHidden()) exit();
  });
  if (o.autoPage) {
    let here = currentUrl();
    onNavigate(() => {
      if (currentUrl() == here) return;
      referrer = here;
      here = currentUrl();
      satu.page();
    });
  }
  // What earlier page loads left unacknowledged goes with the first flush, a flushInterval from
  // now at the latest: reading storage for it then never delays the page's own scripts.
  schedule(Date.now() + o.flushInterval);
  return satu;
}

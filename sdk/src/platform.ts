/**
 * The only module that touches window, document, navigator and storage. Everything browser-specific
 * and everything that may be missing or throw (storage in private modes, Web Locks, sendBeacon) is
 * handled here once, so the other modules stay pure and run in Node tests.
 */
import type { JsonObject } from './contract';
import type { Envelope, Spill, Store } from './queue';

/**
 * Reads or writes a JSON value in localStorage (`null` removes it). Storage can be missing or throw
 * (Safari private mode, blocked cookies): the SDK then keeps state in memory and the cookie only.
 */
export function stored<T>(key: string, value?: T | null): T | null | undefined {
  try {
    if (value === undefined) return JSON.parse(localStorage.getItem(key)!);
    value === null ? localStorage.removeItem(key) : localStorage.setItem(key, JSON.stringify(value));
  } catch {
    return undefined; // blocked storage or a foreign value under our key: treat as absent
  }
}

/** A first-party cookie, read. */
export const readCookie = (name: string): string | undefined =>
  document.cookie.match('(?:^|; )' + name + '=([^;]*)')?.[1];

/** Writes a first-party cookie for a year (from now again); `domain` (e.g. "example.com") shares it with subdomains. */
export function writeCookie(name: string, value: string, domain?: string): void {
  document.cookie =
    name + '=' + value + ';path=/;max-age=31536000;samesite=lax' +
    (domain ? ';domain=' + domain : '') + (location.protocol == 'https:' ? ';secure' : '');
}

/**
 * The queue's page-exit copies in localStorage, one key per page (`satu_q...`) so that tabs going at
 * once never overwrite each other's. Best effort: blocked or full storage writes nothing.
 */
export const localSpill = (): Spill => ({
  _read() {
    try {
      return Object.keys(localStorage).filter((k) => k.startsWith('satu_q')).map((k) => [k, stored<Envelope[]>(k) || []]);
    } catch {
      return [];
    }
  },
  _write: (key, envelopes) => void stored(key, envelopes),
});

/**
 * The queue's IndexedDB object store (`db` / `queue`) as a function that runs `fn` in a read-write
 * transaction and settles when it completes, or undefined where IndexedDB does not exist. The
 * database opens on first use (never while the page starts) and again if the browser closes it
 * (Safari) or opening failed. What idb-keyval's createStore did, cut to the one mode the queue uses.
 *
 * @example
 * await openStore()!((s) => s.put(envelope, envelope.id));
 */
export function openStore(db = 'satu'): Store | undefined {
  if (typeof indexedDB != 'object') return;
  let open: Promise<IDBDatabase> | undefined;
  return (fn) =>
    (open ??= new Promise<IDBDatabase>((resolve, reject) => {
      const r = indexedDB.open(db);
      r.onupgradeneeded = () => r.result.createObjectStore('queue');
      // Closed by the browser, or failed to open: the next use opens it again.
      r.onsuccess = () => resolve(((r.result.onclose = () => (open = undefined)), r.result));
      r.onerror = () => reject(((open = undefined), r.error));
    })).then(
      (d) =>
        new Promise((resolve, reject) => {
          const t = d.transaction('queue', 'readwrite');
          t.oncomplete = () => resolve();
          t.onabort = () => reject(t.error);
          fn(t.objectStore('queue'));
        }),
    );
}

/** Adds an event listener; `target` 1 is document, otherwise window. */
export const listen = (type: string, fn: () => void, onDocument?: 1): void =>
  (onDocument ? document : window).addEventListener(type, fn);

/** Runs `fn` when the page is idle (within 1 s), or in a later task where there is no idle callback. */
export const idle = (fn: () => void): void =>
  // setTimeout reads the options object as a delay of 0 (NaN).
  void (self.requestIdleCallback || setTimeout)(fn, { timeout: 1000 } as never);

export const isOnline = (): boolean => navigator.onLine !== false;
export const isHidden = (): boolean => document.visibilityState == 'hidden';

/**
 * Runs `fn` while holding a Web Lock shared by every tab of the site, so that two tabs never send
 * the same queued events at the same time. Without Web Locks (old browsers) it just runs `fn`:
 * the collector's messageId dedupe still keeps storage exactly-once.
 */
export const withLock = <T>(fn: () => Promise<T>): Promise<T> =>
  navigator.locks ? (navigator.locks.request('satu', fn) as Promise<T>) : fn();

/** Hands a body to sendBeacon; false when the browser has none or refused it (quota). */
export const beacon = (url: string, body: string): boolean => !!navigator.sendBeacon?.(url, body);

/** Whether fetch can outlive the page (`keepalive`); Firefox before 133 ignores the flag. */
export const hasKeepalive = (): boolean => 'keepalive' in Request.prototype;

/** The page's URL without its hash: what page views compare (hash changes are not page views). */
export const currentUrl = (): string => location.href.split('#')[0]!;

/** The last URL read: [href, path, search, campaign]. */
let here: [string?, string?, string?, JsonObject?] = [];

/**
 * The page facts of Segment's `context.page` (and of page() properties) for a URL and title noted
 * when the call was made. The URL is parsed again only when it changed; UTM parameters become
 * Segment's `context.campaign` (utm_campaign -> name, utm_source -> source, ...), one never-mutated
 * object per URL.
 *
 * @example
 * pageFacts('https://shop.example/a?utm_source=x', 'Shop', '') // -> { url, path: '/a', referrer: '', title: 'Shop', search: '?utm_source=x' }
 */
export function pageFacts(href: string, title: string, referrer: string): JsonObject {
  if (href != here[0]) {
    const { pathname, search, searchParams } = new URL(href);
    let found: JsonObject | undefined;
    searchParams.forEach((value, key) => {
      if (key.startsWith('utm_')) (found ??= {})[key == 'utm_campaign' ? 'name' : key.slice(4)] = value;
    });
    here = [href, pathname, search, found];
  }
  return { url: href, path: here[1], referrer, title, search: here[2] };
}

/** UTM parameters as Segment's `context.campaign`, or undefined, for the URL the last pageFacts() saw. */
export const campaign = (): JsonObject | undefined => here[3];

/**
 * What every event carries about the browser, but its timezone (see `timezone`). The user agent
 * goes raw: it is parsed on the collector, never in the bundle.
 */
export function browserFacts(): JsonObject {
  return {
    locale: navigator.language,
    screen: { width: screen.width, height: screen.height, density: devicePixelRatio },
    userAgent: navigator.userAgent,
  };
}

let zone: string | undefined;

/**
 * The IANA timezone (`context.timezone`), read when the first message is made. Temporal answers in
 * about a millisecond; Intl's first use in a page loads its locale data (40-70 ms measured here in
 * Chromium 156), so it is only the fallback.
 */
export const timezone = (): string =>
  (zone ??= (globalThis as { Temporal?: { Now: { timeZoneId(): string } } }).Temporal?.Now.timeZoneId() ??
    Intl.DateTimeFormat().resolvedOptions().timeZone);

/** The document's referrer, what the first page view of a load reports. */
export const documentReferrer = (): string => document.referrer;

/**
 * Calls `fn` after every single-page-app navigation: history.pushState, replaceState and
 * popstate (back/forward). Deferred a tick so routers have updated the title.
 */
export function onNavigate(fn: () => void): void {
  const later = () => setTimeout(fn);
  for (const method of ['pushState', 'replaceState'] as const) {
    const original = history[method];
    history[method] = function (this: History, ...args: Parameters<History['pushState']>) {
      original.apply(this, args);
      later();
    };
  }
  listen('popstate', later);
}

/** The script tag that loaded the SDK (its data- attributes are the options), if it can be found. */
export const scriptTag = (): HTMLScriptElement | null =>
  (document.currentScript ?? document.querySelector('script[data-write-key]')) as HTMLScriptElement | null;

/** The global the inline snippet and pages use. */
export const globalSatu = (value?: unknown): unknown =>
  value ? ((window as unknown as { satu: unknown }).satu = value) : (window as unknown as { satu: unknown }).satu;

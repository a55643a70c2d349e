/**
 * The script-tag entry (satu.min.js). While the page's parser waits for this script, it only finds
 * its tag and puts a stand-in at `window.satu`; the SDK starts in a later task, or at once when the
 * page uses `window.satu` before that (so a call is noted with its own time, URL and title, as
 * always). Options come from the tag's data- attributes, host defaulting to the origin the file was
 * loaded from; the inline snippet's buffered calls are replayed in order when it starts.
 */
import { globalSatu, idle, listen, scriptTag } from './platform';
import { createSatu, type Satu, type SatuOptions } from './satu';

// Now: document.currentScript exists while the script runs, not in a later task.
const tag = scriptTag();
const buffered = globalSatu() as [keyof Satu, unknown[]][] | undefined;
// Loaded twice? The first instance stays.
if (!buffered || Array.isArray(buffered)) {
  let satu: Satu | undefined;
  /** Starts the SDK once, in its own task or on first use; from then on window.satu is the SDK itself. */
  const start = () => {
    if (satu) return satu;
    const options: Record<string, unknown> = {};
    // data-flush-at="10" -> flushAt: 10, data-auto-page="false" -> autoPage: false, strings stay strings.
    // Not JSON.parse in a try: a page's first exception costs it 1-3 ms (measured), at every page load.
    for (const key in tag?.dataset) {
      const value = tag.dataset[key]!;
      options[key] = value == 'true' ? true : value == 'false' ? false : value && !isNaN(+value) ? +value : value;
    }
    // Without data-host, the file's origin (no tag or no src: it throws, as createSatu would without a host).
    options.host ??= new URL(tag!.src).origin;
    globalSatu((satu = createSatu(options as unknown as SatuOptions)));
    for (const [method, args] of buffered ?? []) (satu[method] as (...a: unknown[]) => unknown)(...args);
    return satu;
  };
  // Until then, any member read (satu.track, typeof satu.user) starts it and answers with the SDK's
  // own member, so a reference kept to the stand-in works the same.
  globalSatu(new Proxy({}, { get: (_, member) => start()[member as keyof Satu] }));
  // A task of its own when the page is idle (within a second): not in a pause of the parser, which
  // a timer would (measured: the parser pauses right after this script and ran a 0 ms timer there).
  idle(start);
  // A visitor who leaves before that still gets the page view and every call: the SDK starts and
  // sends its exit copy (createSatu does when the page is hidden).
  listen('visibilitychange', start, 1);
  listen('pagehide', start);
}

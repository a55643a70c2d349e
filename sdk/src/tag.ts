/**
 * The script-tag entry (satu.min.js): options from the tag's data- attributes, host defaulting to
 * the origin the file was loaded from, then the inline snippet's buffered calls replayed in order.
 */
import { globalSatu, scriptTag } from './platform';
import { createSatu, type Satu, type SatuOptions } from './satu';

const options: Record<string, unknown> = {};
const tag = scriptTag();
// data-flush-at="10" -> flushAt: 10, data-auto-page="false" -> autoPage: false, strings stay strings.
// Not JSON.parse in a try: a page's first exception costs it 1-3 ms (measured), at every page load.
for (const key in tag?.dataset) {
  const value = tag.dataset[key]!;
  options[key] = value == 'true' ? true : value == 'false' ? false : value && !isNaN(+value) ? +value : value;
}
options.host ??= tag?.src && new URL(tag.src).origin;
const buffered = globalSatu() as [keyof Satu, unknown[]][] | undefined;
// Loaded twice? The first instance stays.
if (!buffered || Array.isArray(buffered)) {
  const satu = createSatu(options as unknown as SatuOptions);
  globalSatu(satu);
  for (const [method, args] of buffered ?? []) (satu[method] as (...a: unknown[]) => unknown)(...args);
}

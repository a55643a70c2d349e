/**
 * The script-tag entry (satu.min.js): options from the tag's data- attributes, host defaulting to
 * the origin the file was loaded from, then the inline snippet's buffered calls replayed in order.
 */
import { globalSatu, scriptTag } from './platform';
import { createSatu, type Satu, type SatuOptions } from './satu';

const options: Record<string, unknown> = {};
const tag = scriptTag();
// data-flush-at="10" -> flushAt: 10, data-auto-page="false" -> autoPage: false: values that read
// as JSON are taken as such, the others (a write key, a category name) stay strings.
for (const key in tag?.dataset) {
  try {
    options[key] = JSON.parse(tag.dataset[key]!);
  } catch {
    options[key] = tag.dataset[key];
  }
}
options.host ??= tag?.src && new URL(tag.src).origin;
const buffered = globalSatu() as [keyof Satu, unknown[]][] | undefined;
// Loaded twice? The first instance stays.
if (!buffered || Array.isArray(buffered)) {
  const satu = createSatu(options as unknown as SatuOptions);
  globalSatu(satu);
  for (const [method, args] of buffered ?? []) (satu[method] as (...a: unknown[]) => unknown)(...args);
}

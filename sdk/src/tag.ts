/**
 * The script-tag entry (satu.min.js): options from the tag's data- attributes, host defaulting to
 * the origin the file was loaded from, then the inline snippet's buffered calls replayed in order.
 */
import { globalSatu, scriptTag } from './platform';
import { createSatu, type Satu, type SatuOptions } from './satu';

const { data, origin } = scriptTag();
const options: Record<string, unknown> = { host: origin };
// data-flush-at="10" -> flushAt: 10, data-auto-page="false" -> autoPage: false, strings stay strings.
for (const key in data) {
  const value = data[key]!;
  options[key] = value == 'true' ? true : value == 'false' ? false : value && !isNaN(+value) ? +value : value;
}
const buffered = globalSatu() as [keyof Satu, unknown[]][] | undefined;
// Loaded twice? The first instance stays.
if (!buffered || Array.isArray(buffered)) {
  const satu = createSatu(options as unknown as SatuOptions);
  globalSatu(satu);
  for (const [method, args] of buffered ?? []) (satu[method] as (...a: unknown[]) => unknown)(...args);
}

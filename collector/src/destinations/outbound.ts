import type { StoredEvent } from '../ingest/normalise';

/** One stored event on its way to one destination, with what the person's profile knows. */
export interface ForwardEvent {
  deliveryId: number;
  event: StoredEvent;
  /** From the person's profile (identities, then traits): email lower-cased, phone in E.164 (`+` and digits). */
  person: { email: string | null; phone: string | null };
}

/** One HTTP call a vendor mapping asks for, and the deliveries its answer settles. */
export interface PlannedRequest {
  deliveryIds: number[];
  url: string;
  headers: Record<string, string>;
  body: string;
  /**
   * Mixpanel's /import answers 400 when some records failed validation and still imports the
   * rest; its `failed_records[].index` then says which deliveries are dead and which arrived.
   */
  partialFailures?: 'mixpanel';
}

/** What a vendor mapping makes of a run of events: the calls, and the events it has nothing to send for. */
export interface MappedBatch {
  requests: PlannedRequest[];
  skipped: { deliveryId: number; reason: string }[];
}

export const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/** A field of an object that is a (non-empty) string, else undefined. */
export const str = (o: unknown, key: string): string | undefined => {
  const v = isObject(o) ? o[key] : undefined;
  return typeof v === 'string' && v !== '' ? v : typeof v === 'number' ? String(v) : undefined;
};

/** A field of an object that is a finite number (or a numeric string, as shops often send prices), else undefined. */
export const num = (o: unknown, key: string): number | undefined => {
  const v = isObject(o) ? o[key] : undefined;
  const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
  return Number.isFinite(n) ? n : undefined;
};

/** Order value as Segment's e-commerce spec spells it: revenue, else total, else value. */
export const orderValue = (p: unknown): number | undefined => num(p, 'revenue') ?? num(p, 'total') ?? num(p, 'value');

/** `properties.products` as objects (Segment's e-commerce spec). */
export const productsOf = (p: unknown): Record<string, unknown>[] => {
  const list = isObject(p) ? p.products : undefined;
  return Array.isArray(list) ? list.filter(isObject) : [];
};

/**
 * Splits a list into runs of at most `size`.
 *
 * @example
 * chunk([1, 2, 3], 2) // [[1, 2], [3]]
 */
export function chunk<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** The page URL of an event: `context.page.url`, else `properties.url`. */
export const pageUrl = (e: StoredEvent) => str(e.context.page, 'url') ?? str(e.properties, 'url');

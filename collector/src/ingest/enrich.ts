import UAParser from 'ua-parser-js';
import type { JsonObject } from '../../../sdk/src/contract';
import type { IpPolicy } from '../store/workspaces';

/** What the request itself tells about the sender, shared by every message of one request. */
export interface RequestFacts {
  /** From CF-Connecting-IP; null when unknown. */
  ip: string | null;
  /** The request's User-Agent, used only for browser requests (an Origin header is present). */
  userAgent: string | null;
  /** Cloudflare's request.cf: country, region, city, timezone. */
  cf: { country?: string; region?: string; city?: string; timezone?: string } | null;
  ipPolicy: IpPolicy;
}

const isObject = (v: unknown): v is JsonObject => v !== null && typeof v === 'object' && !Array.isArray(v);

/**
 * Adds what the server knows to a message's context without overwriting what the sender
 * said: parsed user agent, geo from Cloudflare, and the IP under the workspace's policy.
 * `parseUa` is memoised by the caller (see `memoiseUa`).
 */
export function enrichContext(context: JsonObject, facts: RequestFacts, parseUa: (ua: string) => UaFields): JsonObject {
  const out: JsonObject = { ...context };
  const ua = typeof context.userAgent === 'string' ? context.userAgent : facts.userAgent;
  if (ua) {
    const parsed = parseUa(ua);
    if (typeof context.userAgent !== 'string') out.userAgent = ua;
    out.browser = { ...parsed.browser, ...(isObject(context.browser) ? context.browser : {}) };
    out.os = { ...parsed.os, ...(isObject(context.os) ? context.os : {}) };
    out.device = { ...parsed.device, ...(isObject(context.device) ? context.device : {}) };
  }
  if (facts.cf && !isObject(context.location)) {
    const { country, region, city, timezone } = facts.cf;
    const location = Object.fromEntries(
      Object.entries({ country, region, city, timezone }).filter(([, v]) => typeof v === 'string' && v !== ''),
    );
    if (Object.keys(location).length > 0) out.location = location;
  }
  const ip = typeof context.ip === 'string' ? context.ip : facts.ip;
  const kept = ip ? applyIpPolicy(ip, facts.ipPolicy) : null;
  if (kept) out.ip = kept;
  else delete out.ip;
  return out;
}

export interface UaFields {
  browser: JsonObject;
  os: JsonObject;
  device: JsonObject;
}

/** ua-parser-js, reduced to the fields profiles and segments use. */
export function parseUserAgent(ua: string): UaFields {
  const r = new UAParser(ua).getResult();
  const clean = (o: Record<string, string | undefined>) =>
    Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined && v !== ''));
  return {
    browser: clean({ name: r.browser.name, version: r.browser.version }),
    os: clean({ name: r.os.name, version: r.os.version }),
    // ua-parser leaves type empty for desktops; a CDP user wants to segment on it.
    device: clean({ type: r.device.type ?? 'desktop', manufacturer: r.device.vendor, model: r.device.model }),
  };
}

/**
 * Memoises a parser across requests (one parse costs ~0.8 ms and most visitors share a handful of
 * user agents). Bounded: a full cache is cleared. Results are frozen because events share them.
 */
export function memoiseUa(parse: (ua: string) => UaFields, maxEntries = 500): (ua: string) => UaFields {
  const seen = new Map<string, UaFields>();
  return (ua) => {
    let hit = seen.get(ua);
    if (!hit) {
      const fields = parse(ua);
      hit = Object.freeze({ browser: Object.freeze(fields.browser), os: Object.freeze(fields.os), device: Object.freeze(fields.device) });
      if (seen.size >= maxEntries) seen.clear();
      seen.set(ua, hit);
    }
    return hit;
  };
}

/**
 * keep: as sent; truncate: IPv4 to /24 and IPv6 to /48 (enough for geo and fraud signals,
 * not enough to single out a household); drop: removed.
 *
 * @example
 * applyIpPolicy('203.0.113.77', 'truncate') // -> '203.0.113.0'
 */
export function applyIpPolicy(ip: string, policy: IpPolicy): string | null {
  if (policy === 'drop') return null;
  if (policy === 'keep') return ip;
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(ip)) return ip.replace(/\.\d{1,3}$/, '.0');
  if (ip.includes(':')) {
    const groups = expandIpv6(ip);
    return groups ? `${groups.slice(0, 3).join(':')}::` : null;
  }
  return null; // not an IP: never store what we cannot truncate
}

function expandIpv6(ip: string): string[] | null {
  const [head, tail] = ip.split('::', 2) as [string, string | undefined];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  if (tail === undefined && h.length !== 8) return null;
  const missing = 8 - h.length - t.length;
  if (missing < 0) return null;
  const groups = [...h, ...Array(missing).fill('0'), ...t];
  return groups.every((g) => /^[0-9a-f]{1,4}$/i.test(g)) ? groups.map((g) => g.toLowerCase()) : null;
}

import type { IpPolicy } from '../store/workspaces';
import type { RequestFacts } from './enrich';

/** What the HTTP request says about its sender: IP, browser user agent and Cloudflare geo. */
export function requestFacts(req: Request, ipPolicy: IpPolicy): RequestFacts {
  const cf = (req as Request & { cf?: Record<string, unknown> }).cf;
  const text = (v: unknown) => (typeof v === 'string' && v ? v : undefined);
  return {
    ip: req.headers.get('cf-connecting-ip'),
    // A server library's own User-Agent says nothing about the end user; only a browser's does.
    userAgent: req.headers.get('origin') ? req.headers.get('user-agent') : null,
    cf: cf
      ? { country: text(cf.country), region: text(cf.region), city: text(cf.city), timezone: text(cf.timezone) }
      : null,
    ipPolicy,
  };
}

// Shop events with the spread of real traffic (many products, pages, prices, referrers, devices), so
// the archive's gzip ratio is not flattered the way near-identical generated events would flatter it.
import { prng } from '../fuzz/prng.mjs';

const EVENTS = ['Product Viewed', 'Product Added', 'Order Completed', 'Page Viewed', 'Products Searched', 'Checkout Started'];
const CATEGORIES = ['sambal', 'kecap', 'snacks', 'coffee', 'tea', 'noodles', 'spices', 'frozen', 'drinks', 'gifts'];
const REFERRERS = ['https://www.google.com/', 'https://www.instagram.com/', 'https://t.co/', 'https://www.tokopedia.com/', '', 'https://www.facebook.com/', 'https://duckduckgo.com/'];
const AGENTS = [
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36',
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1',
  'Mozilla/5.0 (Linux; Android 14; SM-A546E) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/125.0.6422.165 Mobile Safari/537.36',
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:127.0) Gecko/20100101 Firefox/127.0',
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15',
];
const CAMPAIGNS = [null, { source: 'newsletter', medium: 'email', name: 'ramadan' }, { source: 'instagram', medium: 'social', name: 'lebaran' }, { source: 'google', medium: 'cpc', name: 'brand' }];

/**
 * Event `i` of person `i % users`, deterministic for a seed (the same run gives the same bytes).
 * Its time is within the last minute, or within the last `spreadDays` days (a history for
 * retention to move to R2).
 */
export function shopEvent(i, { users, runId, seed = 1, spreadDays = 0 }) {
  const r = prng(seed * 1_000_003 + i);
  const user = i % users;
  const sku = `sku-${r.int(20_000)}`;
  const category = r.pick(CATEGORIES);
  const price = (r.int(50_000) + 1_000) * 10;
  const quantity = 1 + r.int(4);
  const event = r.pick(EVENTS);
  const slug = `${category}-${r.string(6)}`;
  const campaign = r.pick(CAMPAIGNS);
  return {
    type: 'track',
    event,
    messageId: `${runId}-${i}-${r.string(8)}`,
    anonymousId: `anon-${runId}-${user}`,
    ...(user % 3 === 0 ? { userId: `user-${runId}-${user}` } : {}),
    timestamp: new Date(Date.now() - r.int(spreadDays > 0 ? spreadDays * 86_400_000 : 60_000)).toISOString(),
    properties: {
      product_id: sku,
      category,
      price,
      quantity,
      currency: 'IDR',
      ...(event === 'Order Completed' ? { order_id: `ord-${r.string(10)}`, total: price * quantity, revenue: price * quantity } : {}),
      ...(event === 'Products Searched' ? { query: r.string(3 + r.int(8), 'abcdefghijklmnopqrstuvwxyz ') } : {}),
    },
    context: {
      library: { name: 'satu.js', version: '0.1.0' },
      page: { url: `https://shop.example/p/${slug}`, path: `/p/${slug}`, referrer: r.pick(REFERRERS), title: `${category} ${sku}` },
      userAgent: r.pick(AGENTS),
      locale: r.pick(['id-ID', 'en-US', 'en-SG', 'ms-MY']),
      screen: { width: r.pick([390, 412, 1280, 1440, 1920]), height: r.pick([844, 915, 800, 900, 1080]) },
      ...(campaign ? { campaign } : {}),
    },
  };
}

// A realistic demo dataset for the console: a small online food shop over the last 30 days.
// Used by the console's end-to-end test and by scripts/screenshot-console.mjs. Deterministic
// (seeded), so the same seed always sends the same people and events.

const DAY = 86_400_000;
const FIRST = ['Ana', 'Budi', 'Citra', 'Dewi', 'Eko', 'Fajar', 'Gita', 'Hadi', 'Intan', 'Joko', 'Kartika', 'Lina', 'Made', 'Nina', 'Oki', 'Putri', 'Rizky', 'Sari', 'Tono', 'Wulan'];
const LAST = ['Santoso', 'Wijaya', 'Pratama', 'Lestari', 'Hidayat', 'Nugroho', 'Siregar', 'Halim'];
const CATEGORIES = ['spicy', 'noodles', 'dessert', 'drinks'];
const PRODUCTS = { spicy: ['Sambal Matah', 'Ayam Geprek'], noodles: ['Mie Goreng', 'Bakmi'], dessert: ['Klepon', 'Es Cendol'], drinks: ['Teh Tarik', 'Kopi Susu'] };
const PAGES = ['Home', 'Menu', 'Promo', 'About'];

/** mulberry32: a tiny seeded PRNG, enough for demo data. */
function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * The demo messages: `people` customers (most identified by email, some anonymous only) with
 * page views, product views, carts and orders spread over the last `days` days.
 * @returns {{ messages: object[], people: { email: string|null, userId: string|null, anonymousId: string, name: string, orders: number, spicyOrders: number }[] }}
 */
export function demoMessages({ people = 48, days = 30, seed = 7, now = Date.now() } = {}) {
  const rand = prng(seed);
  const pick = (list) => list[Math.floor(rand() * list.length)];
  const messages = [];
  const roster = [];
  let n = 0;
  const id = () => `demo-${seed}-${++n}`;
  for (let p = 0; p < people; p++) {
    const name = `${FIRST[p % FIRST.length]} ${LAST[Math.floor(p / FIRST.length) % LAST.length]}`;
    const anonymousId = `anon-${seed}-${p}`;
    const identified = rand() < 0.7;
    const email = identified ? `${name.toLowerCase().replace(/ /g, '.')}${p >= FIRST.length ? p : ''}@example.com` : null;
    const userId = identified ? `u${1000 + p}` : null;
    const person = { email, userId, anonymousId, name, orders: 0, spicyOrders: 0 };
    roster.push(person);
    // Activity is heavier in recent days, like a shop that is growing.
    const visits = 1 + Math.floor(rand() * 6);
    let signedUp = false;
    for (let v = 0; v < visits; v++) {
      const ago = Math.floor(days * rand() ** 1.6);
      const base = now - ago * DAY - Math.floor(rand() * (DAY / 2));
      let t = base;
      const at = () => new Date((t += 30_000 + Math.floor(rand() * 120_000))).toISOString();
      const ids = signedUp || (identified && v === 0) ? { userId, anonymousId } : { anonymousId };
      messages.push({ type: 'page', name: pick(PAGES), messageId: id(), timestamp: at(), ...{ anonymousId } });
      if (identified && !signedUp) {
        signedUp = true;
        messages.push({
          type: 'identify', messageId: id(), timestamp: at(), userId, anonymousId,
          traits: { email, name, plan: rand() < 0.3 ? 'pro' : 'free', country: rand() < 0.8 ? 'ID' : 'SG' },
        });
        messages.push({ type: 'track', event: 'Signed Up', messageId: id(), timestamp: at(), ...ids, userId });
      }
      const category = pick(CATEGORIES);
      const product = pick(PRODUCTS[category]);
      const price = 15_000 + Math.floor(rand() * 60) * 1000;
      messages.push({ type: 'track', event: 'Product Viewed', messageId: id(), timestamp: at(), ...ids, properties: { product, category, price } });
      if (rand() < 0.55) {
        messages.push({ type: 'track', event: 'Added To Cart', messageId: id(), timestamp: at(), ...ids, properties: { product, category, price } });
        if (identified && rand() < 0.6) {
          const quantity = 1 + Math.floor(rand() * 3);
          person.orders++;
          if (category === 'spicy') person.spicyOrders++;
          messages.push({
            type: 'track', event: 'Order Completed', messageId: id(), timestamp: at(), userId, anonymousId,
            properties: { orderId: `o-${seed}-${n}`, category, total: price * quantity, currency: 'IDR' },
          });
        }
      }
    }
  }
  return { messages, people: roster };
}

/** Sends messages to a collector in batches through the public ingest API. */
export async function sendMessages(url, writeKey, messages, batchSize = 200) {
  for (let i = 0; i < messages.length; i += batchSize) {
    const res = await fetch(`${url}/v1/batch`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Basic ${btoa(`${writeKey}:`)}` },
      body: JSON.stringify({ batch: messages.slice(i, i + batchSize) }),
    });
    const body = await res.json();
    if (!res.ok || body.rejected?.length) throw new Error(`demo batch refused: ${res.status} ${JSON.stringify(body).slice(0, 500)}`);
  }
}

/** A few segments worth showing, through the public segment API. */
export const DEMO_SEGMENTS = [
  { key: 'cart_abandoners', name: 'Cart abandoners', condition: { and: [{ event: 'Added To Cart', within: { days: 7 } }, { not: { event: 'Order Completed', within: { days: 2 } } }] } },
  { key: 'spicy_fans', name: 'Spicy food fans', condition: { event: 'Order Completed', where: [{ property: 'category', op: 'eq', value: 'spicy' }], within: { days: 30 } } },
  { key: 'pro_in_id', name: 'Pro plan in Indonesia', condition: { and: [{ trait: 'plan', op: 'eq', value: 'pro' }, { trait: 'country', op: 'eq', value: 'ID' }] } },
];

export async function createSegments(url, secretKey, segments = DEMO_SEGMENTS) {
  for (const segment of segments) {
    const res = await fetch(`${url}/v1/segments`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${secretKey}` },
      body: JSON.stringify(segment),
    });
    if (res.status !== 201) throw new Error(`creating segment ${segment.key}: ${res.status} ${await res.text()}`);
  }
}

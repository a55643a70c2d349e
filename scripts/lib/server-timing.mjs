// The collector's Server-Timing header as the benches read it.

/**
 * Each phase's duration (ms) of an answer's `Server-Timing` header; phases without `dur` are left out.
 *
 * @example
 * serverTiming(res) // 'auth;dur=0.1, append;dur=10, total;dur=15' -> { auth: 0.1, append: 10, total: 15 }
 */
export function serverTiming(res) {
  const header = res.headers.get('server-timing') ?? '';
  return Object.fromEntries([...header.matchAll(/([\w-]+);dur=([\d.]+)/g)].map((m) => [m[1], Number(m[2])]));
}

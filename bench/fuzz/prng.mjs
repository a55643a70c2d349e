// mulberry32: a tiny seeded PRNG, so a failing fuzz run can be replayed with --seed.
export function prng(seed) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n) => Math.floor(next() * n);
  return {
    next,
    int,
    pick: (list) => list[int(list.length)],
    chance: (p) => next() < p,
    string: (n, alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789') =>
      Array.from({ length: n }, () => alphabet[int(alphabet.length)]).join(''),
  };
}

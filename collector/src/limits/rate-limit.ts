/**
 * Per-key rate limits. Deployed, the collector asks Cloudflare's rate limiting binding
 * (`[[ratelimits]]` in wrangler.toml); `wrangler dev` and the tests get miniflare's local
 * simulation of the same binding. Where no binding exists at all (a bare Miniflare, another
 * runtime), `FixedWindowLimiter` is the local equivalent with the same semantics: a counter per
 * key per fixed window of 10 or 60 seconds.
 */

/** The shape of Cloudflare's `RateLimit` binding, so the local limiter can stand in for it. */
export interface Limiter {
  limit(options: { key: string }): Promise<{ success: boolean }>;
}

export type LimitKind = 'ingest' | 'read';

export interface LimitRule {
  limit: number;
  /** The binding only supports 10 and 60 second windows. */
  periodSeconds: 10 | 60;
}

/**
 * Defaults, identical to wrangler.toml. Generous on purpose: they stop a runaway loop or a
 * leaked key hammering D1, not a busy shop (and benchmarks must not be throttled).
 */
export const DEFAULT_LIMITS: Record<LimitKind, LimitRule> = {
  ingest: { limit: 50_000, periodSeconds: 10 },
  read: { limit: 20_000, periodSeconds: 10 },
};

/**
 * Fixed-window counter per key, in memory. The clock is injected so tests can move time.
 *
 * @example
 * const limiter = new FixedWindowLimiter({ limit: 2, periodSeconds: 10 });
 * await limiter.limit({ key: 'k' }); // { success: true }
 * await limiter.limit({ key: 'k' }); // { success: true }
 * await limiter.limit({ key: 'k' }); // { success: false } until the next 10 s window
 */
export class FixedWindowLimiter implements Limiter {
  private window = -1;
  private readonly counts = new Map<string, number>();

  constructor(
    readonly rule: LimitRule,
    private readonly now: () => number = Date.now,
  ) {}

  async limit({ key }: { key: string }): Promise<{ success: boolean }> {
    return { success: this.take(key) };
  }

  /** Counts one request for `key`; false once the window's budget is spent. */
  take(key: string): boolean {
    const window = Math.floor(this.now() / (this.rule.periodSeconds * 1000));
    // A new window forgets every key at once, so memory stays bounded by one window's keys.
    if (window !== this.window) {
      this.window = window;
      this.counts.clear();
    }
    const used = this.counts.get(key) ?? 0;
    if (used >= this.rule.limit) return false;
    this.counts.set(key, used + 1);
    return true;
  }

  /** Whole seconds until the current window ends (at least 1), for `Retry-After`. */
  secondsUntilReset(): number {
    const periodMs = this.rule.periodSeconds * 1000;
    return Math.max(1, Math.ceil((periodMs - (this.now() % periodMs)) / 1000));
  }
}

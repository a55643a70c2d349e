import type { Env } from '../env';
import { ApiError } from '../http/errors';
import { DEFAULT_LIMITS, FixedWindowLimiter, type LimitKind, type Limiter } from './rate-limit';

// Used only where the runtime provides no binding; one per isolate, like the binding's own
// per-location counters.
const local: Record<LimitKind, FixedWindowLimiter> = {
  ingest: new FixedWindowLimiter(DEFAULT_LIMITS.ingest),
  read: new FixedWindowLimiter(DEFAULT_LIMITS.read),
};

function limiterFor(env: Env, kind: LimitKind): { limiter: Limiter; retryAfter: () => number } {
  const binding = kind === 'ingest' ? env.INGEST_LIMITER : env.READ_LIMITER;
  const limiter: Limiter = binding ?? local[kind];
  // Cloudflare's binding does not say when its window ends; a whole period is the safe answer.
  const retryAfter = () =>
    limiter instanceof FixedWindowLimiter ? limiter.secondsUntilReset() : DEFAULT_LIMITS[kind].periodSeconds;
  return { limiter, retryAfter };
}

/**
 * Spends one request of `keyId`'s budget for `kind`, or throws 429 with `Retry-After`.
 * A failing limiter lets the request through: losing events is worse than a missed limit.
 *
 * @example
 * await enforceRateLimit(c.env, 'read', c.var.keyId);
 */
export async function enforceRateLimit(env: Env, kind: LimitKind, keyId: string): Promise<void> {
  const { limiter, retryAfter } = limiterFor(env, kind);
  let success = true;
  try {
    ({ success } = await limiter.limit({ key: `${kind}:${keyId}` }));
  } catch (err) {
    console.error('rate limiter failed; letting the request through', err);
  }
  if (!success) {
    const seconds = retryAfter();
    throw new ApiError(
      429,
      'rate_limited',
      `Too many ${kind} requests for this key; retry in ${seconds} s`,
      undefined,
      { 'Retry-After': String(seconds) },
    );
  }
}

import type { Context } from 'hono';
import { createMiddleware } from 'hono/factory';
import type { AppEnv } from '../env';

/**
 * Phase timings of one request, sent back as a `Server-Timing` header so a load generator
 * (bench/profiles, bench/segments) sees where the time of a request went without a profiler.
 * Workers clocks only advance across I/O, so a phase measures its storage round trips; pure
 * CPU work in between shows as the gap between the client's latency and the sum of phases.
 *
 * @example
 * const timing = new ServerTiming();
 * const rows = await timing.time('read', () => db.batch(statements));
 * c.header('Server-Timing', timing.header()); // "read;dur=12"
 */
export class ServerTiming {
  private readonly entries = new Map<string, number>();
  private readonly notes = new Map<string, string>();

  async time<T>(name: string, fn: () => Promise<T>): Promise<T> {
    const started = Date.now();
    try {
      return await fn();
    } finally {
      this.add(name, Date.now() - started);
    }
  }

  /** Adds to a phase that runs more than once (a re-read after a write conflict). */
  add(name: string, ms: number): void {
    this.entries.set(name, (this.entries.get(name) ?? 0) + ms);
  }

  /** A named fact without a duration, sent as `name;desc=value` (e.g. `cache;desc=hit`). */
  note(name: string, value: string): void {
    this.notes.set(name, value);
  }

  header(): string {
    return [...[...this.entries].map(([name, ms]) => `${name};dur=${ms}`), ...[...this.notes].map(([name, v]) => `${name};desc=${v}`)].join(', ');
  }
}

/**
 * Times a whole request: the handler and middleware after it find a `ServerTiming` in
 * `c.var.timing` for their phases (see `phase`), and the answer gets `Server-Timing` with them and
 * `total` (first byte of the request seen by this middleware to the last I/O of the answer).
 *
 * @example
 * profileRoutes.use('*', timedRequest, requireSecretKey('read'));
 */
export const timedRequest = createMiddleware<AppEnv>(async (c, next) => {
  const started = Date.now();
  const timing = new ServerTiming();
  c.set('timing', timing);
  await next();
  timing.add('total', Date.now() - started);
  c.header('Server-Timing', timing.header());
});

/**
 * Runs `fn` as the phase `name` of the request's Server-Timing, or just runs it on routes that are
 * not timed.
 *
 * @example
 * const key = await phase(c, 'key', () => resolveKey(c.env.DB, plaintext));
 */
export function phase<T>(c: Context<AppEnv>, name: string, fn: () => Promise<T>): Promise<T> {
  const timing = c.get('timing');
  return timing ? timing.time(name, fn) : fn();
}

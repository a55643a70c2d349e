import { DurableObject } from 'cloudflare:workers';
import type { Env } from '../env';
import { databaseOf } from '../directory/databases';
import { timelinePage, workspaceOf } from '../archive/cold-timeline';
import { getProfileView, type ProfileSelector, type ProfileView, type TimelineEvent } from '../store/profiles';
import { profileBody, timeless, timelineBody } from './answers';
import { DEFAULT_LIMITS, ViewCache } from './view-cache';

/** What a read through the object answers: the body (null: no such profile), whether it was kept, and the D1 time of a miss. */
export interface ReadAnswer {
  body: string | null;
  hit: boolean;
  /** Milliseconds waiting on D1 (0 on a hit: a hit makes no D1 query). */
  d1Ms: number;
}

/** Which reads an invalidation drops: those of these canonical profiles, or all of the workspace's. */
export type ReadScope = { profileIds: readonly string[] } | 'all';

export interface ProfileQuery {
  /** The D1 binding that holds the workspace now (c.var.database); a different one drops the cache (a move). */
  database: string;
  workspaceId: string;
  selector: ProfileSelector;
}

interface Kept {
  /** The answer as text when it does not move with the clock, else the view to answer from (predictions). */
  profile: { body: string } | { view: ProfileView };
  /** The newest events, as fetched with `fetched` rows asked for (fewer came back: that is all of them). */
  timeline: { rows: TimelineEvent[]; fetched: number };
}

/**
 * The profile read cache of one workspace (one object per workspace, named by its id).
 *
 * `GET /v1/profiles/{ref}` and the first page of `GET /v1/profiles/{ref}/events` ask this object:
 * it answers from memory, or on a miss runs the same one-statement D1 read the route ran before
 * and keeps the view. Under wrangler dev a call to a Durable Object of the same worker costs about
 * what `/health` does and a D1 round trip 2.6-2.9 times that (README "Profile reads"), so a
 * repeated read never crosses to D1.
 *
 * It never answers what a completed write changed: every writer of profile-visible state calls
 * `invalidateProfileReads` (invalidate.ts) after its D1 write commits and before it reports
 * success, and a miss whose read raced such a write answers what it read without keeping it
 * (view-cache.ts). Not-found is never kept. A 60 s TTL bounds the harm of a writer added later
 * that forgets to invalidate. Memory only: a restarted object starts cold, which is always safe.
 */
export class ProfileReads extends DurableObject<Env> {
  private readonly cache = new ViewCache<Kept>(DEFAULT_LIMITS);
  private database: string | null = null;
  /** Test seams: the clock, a hook between a miss's D1 read and its store, and counters. */
  clock: () => number = () => Date.now();
  faults: { afterRead?(): void | Promise<void> } = {};
  readonly counts = { hits: 0, misses: 0, d1Reads: 0, notKept: 0 };

  /** `GET /v1/profiles/{ref}`. */
  async profile(q: ProfileQuery): Promise<ReadAnswer> {
    const ref = this.refOf(q);
    const now = this.clock();
    const kept = this.cache.lookup(ref, 'profile', now);
    if (kept) {
      this.counts.hits++;
      return { body: 'body' in kept ? kept.body : profileBody(kept.view, now), hit: true, d1Ms: 0 };
    }
    return this.miss(ref, async (db) => {
      const view = await getProfileView(db, q.workspaceId, q.selector, now);
      if (!view) return { body: null };
      const body = profileBody(view, now);
      return { body, keep: { id: view.state.id, slot: 'profile', value: timeless(view) ? { body } : { view }, bytes: body.length } };
    });
  }

  /** The first page of `GET /v1/profiles/{ref}/events` (no cursor, time range or event filter), `limit` 1-100. */
  async timeline(q: ProfileQuery & { limit: number }): Promise<ReadAnswer> {
    const ref = this.refOf(q);
    const kept = this.cache.lookup(ref, 'timeline', this.clock());
    // A kept page serves any limit it can answer whole: it holds more rows than asked, or all there are.
    if (kept && (kept.rows.length > q.limit || kept.rows.length < kept.fetched)) {
      this.counts.hits++;
      return { body: timelineBody(kept.rows, q.limit), hit: true, d1Ms: 0 };
    }
    return this.miss(ref, async (db) => {
      const fetched = q.limit + 1;
      // Hot from D1 and, below the workspace's cold boundary, the person's archived events from R2.
      const { canonicalId, events } = await timelinePage(db, this.env.ARCHIVE, q.workspaceId, () => workspaceOf(this.env.DB, q.workspaceId), q.selector, { limit: q.limit });
      if (canonicalId === null) return { body: null };
      const body = timelineBody(events, q.limit);
      return { body, keep: { id: canonicalId, slot: 'timeline', value: { rows: events, fetched }, bytes: body.length } };
    });
  }

  /** Drops kept reads (see invalidate.ts, the one function writers call). */
  invalidate(scope: ReadScope): void {
    if (scope === 'all') this.cache.invalidateAll();
    else this.cache.invalidate(scope.profileIds);
  }

  private refOf(q: ProfileQuery): string {
    if (this.database !== q.database) {
      // The workspace moved to another database (or this is the first read): what was kept came from the old one.
      this.cache.invalidateAll();
      this.database = q.database;
    }
    const s = q.selector;
    return s.kind === 'id' ? `id\u0000${s.id}` : `${s.id.type}\u0000${s.id.value}`;
  }

  private async miss<K extends keyof Kept>(
    ref: string,
    read: (db: D1Database) => Promise<{ body: string | null; keep?: { id: string; slot: K; value: Kept[K]; bytes: number } }>,
  ): Promise<ReadAnswer> {
    this.counts.misses++;
    const database = this.database!;
    const ticket = this.cache.begin();
    try {
      const started = Date.now();
      this.counts.d1Reads++;
      const { body, keep } = await read(databaseOf(this.env, database));
      const d1Ms = Date.now() - started;
      await this.faults.afterRead?.();
      // A move that happened meanwhile changed this.database; what was read came from the old one.
      if (keep && (this.database !== database || !this.cache.store(ticket, ref, keep.id, keep.slot, keep.value, keep.bytes, this.clock()))) this.counts.notKept++;
      return { body, hit: false, d1Ms };
    } finally {
      this.cache.end(ticket);
    }
  }
}

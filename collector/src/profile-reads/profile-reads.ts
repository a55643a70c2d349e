import { DurableObject } from 'cloudflare:workers';
import type { Env } from '../env';
import { databaseOf } from '../directory/databases';
import { timelinePage, workspaceOf } from '../archive/cold-timeline';
import { getProfileView, type ProfileSelector, type ProfileView } from '../store/profiles';
import type { StoredModel } from '../store/predictions';
import { profileBody, refOf, timelineBody, viewRefs, wholeKeep } from './answers';
import { packPage, pageBody } from './page';
import { CatchUp, MAX_AGE_MS, QUIET_MS, TIMELINE_ROWS } from './catch-up';
import { RaceGuard } from './race-guard';
import { StaleLog } from './stale-log';
import { countViews, forget, keep, markStale, metaGet, metaSet, rowOfRef, SCHEMA, type Keep, type ViewRow } from './view-tables';

/** What a read through the object answers: the body (null: no such profile), whether it was kept, and the D1 time of a miss. */
export interface ReadAnswer {
  /** The response body: text, or a timeline page's UTF-8 as the store cut it (page.ts). */
  body: string | Uint8Array<ArrayBuffer> | null;
  hit: boolean;
  /** Milliseconds waiting on D1 (0 on a hit: a hit makes no D1 query). */
  d1Ms: number;
}

/**
 * Which reads an invalidation makes stale: those of these canonical profiles, or all of the
 * workspace's. `erased`: the profiles were deleted for privacy, and their rows go at once.
 */
export type ReadScope = { profileIds: readonly string[]; erased?: boolean } | 'all';

export interface ProfileQuery {
  /** The D1 binding that holds the workspace now (c.var.database); a different one makes every row stale (a move). */
  database: string;
  workspaceId: string;
  selector: ProfileSelector;
}

/**
 * The form of the kept rows (meta `format`); see page.ts. 3: as 2, and writers' invalidations may
 * wait in `stale_log` (stale-log.ts) for the catch-up to mark them. 2: pages as the API's lines,
 * deflated (1: the rows as gzipped JSON).
 */
export const FORMAT = '3';
/**
 * Formats whose rows this release keeps as they are (a 2 store gains an empty `stale_log`). The
 * number still moves: a release of format 2 started again on this store (a rollback) does not know
 * the log, and reads everything again instead of answering profiles the log names stale.
 */
const KEPT_IN_PLACE = ['2'];
export { MAX_AGE_MS } from './catch-up';

/**
 * The profile read store of one workspace (one object per workspace, named by its id).
 *
 * `GET /v1/profiles/{ref}` and the first page of `GET /v1/profiles/{ref}/events` ask this object.
 * It answers from its own SQLite storage (view-tables.ts): each canonical profile's answer and
 * newest events, and a map from every ref to its profile. A row answers only while it is current
 * (its generation is the store's); otherwise, or for a ref it does not know, the read runs the same
 * one-statement D1 read the route ran before and stores what it read.
 *
 * Writers never wait for it to catch up: every writer of profile-visible state calls
 * `invalidateProfileReads` (invalidate.ts) after its D1 write commits, which marks the named
 * profiles stale (logged: stale-log.ts; or, for `'all'`, bumps the generation: no row rewritten), and a read racing
 * the write keeps nothing (race-guard.ts). The object's alarm catches up once writes have been quiet
 * for QUIET_MS (catch-up.ts): it reads named-stale profiles again, and sweeps the whole workspace
 * in id order (after a generation bump, a move, on a new store, and every MAX_AGE_MS / 2). A
 * restarted object answers from its storage at once.
 */
export class ProfileReads extends DurableObject<Env> {
  private readonly sql: SqlStorage;
  private readonly guard = new RaceGuard();
  private readonly catchUp: CatchUp;
  /** Profiles named stale and not yet marked in `views` (stale-log.ts): their rows do not answer. */
  private readonly staleLog: StaleLog;
  /** Mirrors of `meta`: the generation, the workspace and its database. */
  private gen: number;
  private workspace: string | null;
  private database: string | null;
  /** The prediction model the rows of a generation were read with (they render predictions per read). */
  private model: { gen: number; stored: StoredModel } | null;
  /** Test seams: the clock, the quiet period, a hook between a miss's D1 read and its store, and counters. */
  clock: () => number = () => Date.now();
  quietMs: number;
  faults: { afterRead?(): void | Promise<void> } = {};
  readonly counts = { hits: 0, misses: 0, d1Reads: 0, notKept: 0, batches: 0 };

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    this.sql.exec(SCHEMA);
    const get = (key: string) => metaGet(this.sql, key);
    this.gen = Number(get('gen') ?? 1);
    this.workspace = get('workspace');
    this.database = get('database');
    this.model = get('model') === null ? null : JSON.parse(get('model')!);
    this.staleLog = new StaleLog(this.sql);
    const quiet = Number(env.PROFILE_READS_QUIET_MS);
    this.quietMs = env.PROFILE_READS_QUIET_MS !== undefined && Number.isFinite(quiet) && quiet >= 0 ? quiet : QUIET_MS;
    this.catchUp = new CatchUp({
      sql: this.sql,
      storage: ctx.storage,
      env,
      guard: this.guard,
      clock: () => this.clock(),
      quietMs: () => this.quietMs,
      generation: () => this.gen,
      workspace: () => this.workspace,
      learn: (q) => this.learn(q),
      staleLog: this.staleLog,
      keep: (gen, now, s, page) => {
        const kept = { ...wholeKeep(s.view, profileBody(s.view, now), viewRefs(s.view, s.treeIds)), timeline: page ? { rows: page, fetched: TIMELINE_ROWS } : undefined };
        this.store(gen, now, kept, s.view.model);
      },
      counts: this.counts,
    });
    // Rows kept by a release that stored them in another form: a new generation reads them all again
    // (reads go to D1 meanwhile, as after any 'all'). A new store has nothing to read again.
    const format = get('format');
    if (format !== FORMAT) {
      if (this.workspace !== null && !KEPT_IN_PLACE.includes(format ?? '')) this.bumpGeneration(this.clock());
      metaSet(this.sql, 'format', FORMAT);
    }
  }

  /** `GET /v1/profiles/{ref}`. */
  async profile(q: ProfileQuery): Promise<ReadAnswer> {
    const now = this.learn(q);
    this.catchUp.armIfIdle(now);
    const ref = refOf(q.selector);
    const row = rowOfRef(this.sql, ref, 'profile');
    const body = row && this.answers(row, now) && row.profile !== null ? this.render(row, now) : null;
    if (body !== null) {
      this.counts.hits++;
      return { body, hit: true, d1Ms: 0 };
    }
    return this.miss(async (db) => {
      const view = await getProfileView(db, q.workspaceId, q.selector, now);
      if (!view) return { body: null };
      const body = profileBody(view, now);
      return { body, keep: { ...wholeKeep(view, body, [ref, ...viewRefs(view)]), timeline: undefined, whole: false }, model: view.model };
    });
  }

  /** The first page of `GET /v1/profiles/{ref}/events` (no cursor, time range or event filter), `limit` 1-100. */
  async timeline(q: ProfileQuery & { limit: number }): Promise<ReadAnswer> {
    const now = this.learn(q);
    this.catchUp.armIfIdle(now);
    const ref = refOf(q.selector);
    const row = rowOfRef(this.sql, ref, 'timeline');
    // A kept page serves any limit it can answer whole: it holds more rows than asked, or all there are.
    const body = row && this.answers(row, now) && row.timeline !== null ? pageBody(row.timeline, q.limit, row.fetched!) : null;
    if (body !== null) {
      this.counts.hits++;
      return { body, hit: true, d1Ms: 0 };
    }
    return this.miss(async (db) => {
      // At least the page the store keeps, so one miss serves every smaller limit after it.
      const limit = Math.max(q.limit, TIMELINE_ROWS - 1);
      // Hot from D1 and, below the workspace's cold boundary, the person's archived events from R2.
      const { canonicalId, events } = await timelinePage(db, this.env.ARCHIVE, q.workspaceId, () => workspaceOf(this.env.DB, q.workspaceId), q.selector, { limit });
      if (canonicalId === null) return { body: null };
      return {
        body: timelineBody(events, q.limit),
        keep: { id: canonicalId, timeline: { rows: packPage(events), fetched: limit + 1 }, refs: [ref, `id\u0000${canonicalId}`], whole: false },
      };
    });
  }

  /** Marks reads stale (see invalidate.ts, the one function writers call), and schedules the catch-up. */
  async invalidate(workspaceId: string, scope: ReadScope): Promise<void> {
    const now = this.clock();
    this.learn({ workspaceId });
    if (scope === 'all') this.bumpGeneration(now);
    else {
      this.guard.invalidate(scope.profileIds);
      // An erasure leaves nothing of the person: the log goes into `views` first, whose rows then go.
      if (scope.erased) {
        this.staleLog.flush(now);
        forget(this.sql, scope.profileIds);
      } else this.staleLog.add(scope.profileIds, now);
    }
    await this.catchUp.wrote(now);
  }

  /** Where the store stands (`GET /v1/admin/workspaces/{id}/profile-reads`). */
  status() {
    // Counted from `views` alone: the logged profiles go there first (what the catch-up does when it runs).
    this.staleLog.flush(this.clock());
    const views = countViews(this.sql, this.gen);
    const { sweeping, lastSweepAt, quietForMs } = this.catchUp.state();
    return { caughtUp: !sweeping && views.namedStale === 0, generation: this.gen, database: this.database, sweeping, lastSweepAt, views, quietForMs };
  }

  /** The catch-up (catch-up.ts): one batch once writes are quiet, then the next alarm. */
  override alarm(): Promise<void> {
    return this.catchUp.alarm();
  }

  private async miss(read: (db: D1Database) => Promise<{ body: string | null; keep?: Keep; model?: StoredModel | null }>): Promise<ReadAnswer> {
    this.counts.misses++;
    const database = this.database!;
    const gen = this.gen;
    const ticket = this.guard.begin();
    try {
      const started = Date.now();
      this.counts.d1Reads++;
      const { body, keep: kept, model } = await read(databaseOf(this.env, database));
      const d1Ms = Date.now() - started;
      await this.faults.afterRead?.();
      // A move or an 'all' meanwhile changed the generation; a write to this profile makes what was read old.
      if (kept && this.gen === gen && this.guard.mayKeep(ticket, kept.id)) this.store(gen, this.clock(), kept, model ?? null);
      else if (kept) this.counts.notKept++;
      return { body, hit: false, d1Ms };
    } finally {
      this.guard.end(ticket);
    }
  }

  private store(gen: number, now: number, k: Keep, model: StoredModel | null): void {
    if (k.profile?.timeless === false && model && this.model?.gen !== gen) {
      this.model = { gen, stored: model };
      metaSet(this.sql, 'model', JSON.stringify(this.model));
    }
    // A logged-stale row becomes current again the way a marked one does (its other slot and old refs go).
    if (this.staleLog.take(k.id)) markStale(this.sql, [k.id], now);
    keep(this.sql, gen, now, k);
  }

  /** The answer of a current row: its text, or its view rendered now with the generation's model. */
  private render(row: ViewRow, now: number): string | null {
    if (row.timeless === 1) return row.profile;
    if (this.model?.gen !== row.gen) return null;
    return profileBody({ ...(JSON.parse(row.profile!) as Omit<ProfileView, 'model'>), model: this.model.stored }, now);
  }

  private answers(row: ViewRow, now: number): boolean {
    return row.gen === this.gen && now - row.stored_at < MAX_AGE_MS && !this.staleLog.has(row.id);
  }

  /** Remembers the workspace and its database; a new database (a move) makes every row stale. Returns the time. */
  private learn(q: { workspaceId: string; database?: string }): number {
    const now = this.clock();
    if (this.workspace !== q.workspaceId) {
      this.workspace = q.workspaceId;
      metaSet(this.sql, 'workspace', q.workspaceId);
    }
    if (q.database !== undefined && this.database !== q.database) {
      if (this.database !== null) this.bumpGeneration(now);
      this.database = q.database;
      this.catchUp.forgetDirectory();
      metaSet(this.sql, 'database', q.database);
    }
    return now;
  }

  /** Every row stale at once (no row rewritten): the generation moves on, and a sweep starts over. */
  private bumpGeneration(now: number): void {
    this.guard.invalidateAll();
    this.gen++;
    metaSet(this.sql, 'gen', String(this.gen));
    this.catchUp.startSweep(now);
  }
}

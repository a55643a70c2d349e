import { DurableObject } from 'cloudflare:workers';
import type { Env } from '../env';
import { databaseOf, isDatabase } from '../directory/databases';
import { timelinePage, workspaceOf } from '../archive/cold-timeline';
import { getProfileView, type ProfileSelector, type ProfileView } from '../store/profiles';
import { readViewBatch, type StoredViewSource, type ViewBatchTarget } from '../store/profile-views';
import { getWorkspace, isMoving, type Workspace } from '../store/workspaces';
import type { StoredModel } from '../store/predictions';
import { profileBody, refOf, timelineBody, viewRefs, wholeKeep } from './answers';
import { packPage, pageBody } from './page';
import { RaceGuard, type Ticket } from './race-guard';
import { countViews, dropUnvisited, forget, keep, markStale, metaGet, metaSet, namedStale, rowOfRef, SCHEMA, type Keep, type ViewRow } from './view-tables';

/** What a read through the object answers: the body (null: no such profile), whether it was kept, and the D1 time of a miss. */
export interface ReadAnswer {
  body: string | null;
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

/** The form of the kept rows (meta `format`); see page.ts. 2: pages as the API's lines, deflated (1: the rows as gzipped JSON). */
export const FORMAT = '2';
/** Events kept per person: the API's default page (50) and one more, which says whether there is a next page. */
export const TIMELINE_ROWS = 51;
/** Profiles per catch-up batch: one D1 statement each (some 800 KB of answer at the bench's events), one batch per alarm. */
const BATCH = 100;
/** How long writes must have been quiet before the catch-up reads D1 (PROFILE_READS_QUIET_MS overrides it). */
export const QUIET_MS = 1_500;
/** Under writes that never pause, one batch at least this often, so the store still catches up (slowly). */
const BUSY_EVERY_MS = 30_000;
/** How long the alarm trusts the directory's word on the workspace's database. */
const DIRECTORY_MS = 10_000;
/** Safety net for a writer that forgets to invalidate: a row older than this does not answer, and a sweep re-reads every row twice as often. */
export const MAX_AGE_MS = 24 * 3_600_000;

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
 * profiles stale (or, for `'all'`, bumps the generation: no row rewritten), and a read racing
 * the write keeps nothing (race-guard.ts). The object's alarm catches up once writes have been quiet
 * for QUIET_MS: it reads named-stale profiles again, and sweeps the whole workspace in id order
 * (after a generation bump, a move, on a new store, and every MAX_AGE_MS / 2), one D1 statement per
 * batch of BATCH profiles, one batch per alarm: requests to the object wait while an alarm runs
 * (seen under wrangler dev), so a batch is all a read may wait for. A restarted object answers from
 * its storage at once.
 */
export class ProfileReads extends DurableObject<Env> {
  private readonly sql: SqlStorage;
  private readonly guard = new RaceGuard();
  /** Mirrors of `meta`: the generation, the workspace and its database, the sweep's position. */
  private gen: number;
  private workspace: string | null;
  private database: string | null;
  /** The last canonical id the running sweep read (null: no sweep running), and when it began. */
  private sweepAfter: string | null;
  private sweepStartedAt: number;
  private sweptAt: number;
  /** The prediction model the rows of a generation were read with (they render predictions per read). */
  private model: { gen: number; stored: StoredModel } | null;
  private lastWriteAt = 0;
  private lastBatchAt: number;
  private armedAt: number | null = null;
  private directory: { at: number; workspace: Workspace | null } | null = null;
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
    // A new store sweeps from the start: '' sorts before every id.
    this.sweepAfter = get('sweep') === null ? '' : (JSON.parse(get('sweep')!) as string | null);
    this.sweepStartedAt = Number(get('sweepStartedAt') ?? 0);
    this.sweptAt = Number(get('sweptAt') ?? 0);
    this.model = get('model') === null ? null : JSON.parse(get('model')!);
    // Rows kept by a release that stored them in another form: a new generation reads them all again
    // (reads go to D1 meanwhile, as after any 'all'). A new store has nothing to read again.
    if (get('format') !== FORMAT) {
      if (this.workspace !== null) this.bumpGeneration(this.clock());
      metaSet(this.sql, 'format', FORMAT);
    }
    const quiet = Number(env.PROFILE_READS_QUIET_MS);
    this.quietMs = env.PROFILE_READS_QUIET_MS !== undefined && Number.isFinite(quiet) && quiet >= 0 ? quiet : QUIET_MS;
    this.lastBatchAt = this.clock();
  }

  /** `GET /v1/profiles/{ref}`. */
  async profile(q: ProfileQuery): Promise<ReadAnswer> {
    const now = this.learn(q);
    this.armIfIdle(now);
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
    this.armIfIdle(now);
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
    this.lastWriteAt = now;
    if (scope === 'all') this.bumpGeneration(now);
    else {
      this.guard.invalidate(scope.profileIds);
      if (scope.erased) forget(this.sql, scope.profileIds);
      else markStale(this.sql, scope.profileIds, now);
    }
    await this.arm(now + this.quietMs);
  }

  /** Where the store stands (`GET /v1/admin/workspaces/{id}/profile-reads`). */
  status() {
    const views = countViews(this.sql, this.gen);
    const sweeping = this.sweepAfter !== null;
    return {
      caughtUp: !sweeping && views.namedStale === 0,
      generation: this.gen,
      database: this.database,
      sweeping,
      lastSweepAt: this.sweptAt === 0 ? null : new Date(this.sweptAt).toISOString(),
      views,
      quietForMs: this.lastWriteAt === 0 ? null : this.clock() - this.lastWriteAt,
    };
  }

  /**
   * The catch-up: one batch if writes are quiet, then the next alarm at once while there is more
   * (or at the next safety sweep). Under writes that never pause it reads one batch every BUSY_EVERY_MS.
   */
  override async alarm(): Promise<void> {
    this.armedAt = null;
    const now = this.clock();
    const quiet = () => this.clock() - this.lastWriteAt >= this.quietMs;
    if (!quiet() && now - this.lastBatchAt < BUSY_EVERY_MS) return this.arm(this.nextTurn());
    if (this.sweepAfter === null && now - this.sweptAt >= MAX_AGE_MS / 2 && this.sweptAt > 0) this.startSweep(now);
    if (this.workspace === null || !this.hasWork()) return this.armSafetySweep();
    try {
      const workspace = await this.directoryEntry(now);
      if (!workspace) return;
      // During a move the old copy answers reads until the flip; the new one is swept after it.
      if (isMoving(workspace.move?.status) || !isDatabase(this.env, workspace.database)) return this.arm(this.clock() + DIRECTORY_MS);
      this.learn({ workspaceId: workspace.id, database: workspace.database });
      await this.catchUpStep(databaseOf(this.env, workspace.database), workspace.id);
    } catch (err) {
      console.error('profile reads: catch-up failed', err);
      return this.arm(this.clock() + 5_000);
    }
    if (this.hasWork()) return this.arm(quiet() ? this.clock() : this.nextTurn());
    return this.armSafetySweep();
  }

  /** The directory's row of the workspace, read again every DIRECTORY_MS (a batch per alarm would otherwise read it each time). */
  private async directoryEntry(now: number): Promise<Workspace | null> {
    if (this.directory && now - this.directory.at < DIRECTORY_MS) return this.directory.workspace;
    const workspace = await getWorkspace(this.env.DB, this.workspace!);
    this.directory = { at: now, workspace };
    return workspace;
  }

  /** When writes that go on would next let the catch-up run: once quiet, or for its busy batch. */
  private nextTurn(): number {
    return Math.min(this.lastWriteAt + this.quietMs, this.lastBatchAt + BUSY_EVERY_MS);
  }

  /** One batch of the catch-up: named-stale profiles first, then the sweep. Returns false when there was nothing to do. */
  async catchUpStep(db: D1Database, workspaceId: string): Promise<boolean> {
    const ids = namedStale(this.sql, this.sweepAfter, BATCH);
    if (ids.length > 0) {
      await this.readBatch(db, workspaceId, { ids }, (sources, ticket) => {
        // Ids no longer canonical (merged away) or gone (erased, rebuilt): their rows go; survivors are stored.
        const found = new Set(sources.map((s) => s.view.state.id));
        forget(this.sql, ids.filter((id) => !found.has(id) && this.guard.mayKeep(ticket, id)));
      });
      return true;
    }
    const after = this.sweepAfter;
    if (after === null) return false;
    await this.readBatch(db, workspaceId, { after, limit: BATCH }, (sources, _ticket, now) => {
      if (this.sweepAfter !== after) return;
      if (sources.length === BATCH) return this.saveSweep(sources[sources.length - 1].view.state.id);
      dropUnvisited(this.sql, this.sweepStartedAt);
      this.saveSweep(null);
      this.sweptAt = now;
      metaSet(this.sql, 'sweptAt', String(now));
    });
    return true;
  }

  private async readBatch(db: D1Database, workspaceId: string, target: ViewBatchTarget, then: (sources: StoredViewSource[], ticket: Ticket, now: number) => void) {
    const gen = this.gen;
    const now = this.clock();
    const ticket = this.guard.begin();
    try {
      this.counts.batches++;
      this.lastBatchAt = now;
      const sources = await readViewBatch(db, workspaceId, target, now, TIMELINE_ROWS);
      const pages = sources.map((s) => (s.timeline ? packPage(s.timeline) : null));
      // Everything went stale meanwhile (an 'all', a move): nothing read may be kept, and the sweep restarted.
      if (this.guard.allRaced(ticket) || gen !== this.gen) return;
      this.ctx.storage.transactionSync(() => {
        then(sources, ticket, now);
        sources.forEach((s, k) => {
          if (!this.guard.mayKeep(ticket, s.view.state.id)) return;
          const body = profileBody(s.view, now);
          const page = pages[k];
          this.store(gen, now, { ...wholeKeep(s.view, body, viewRefs(s.view, s.treeIds)), timeline: page ? { rows: page, fetched: TIMELINE_ROWS } : undefined }, s.view.model);
        });
      });
    } finally {
      this.guard.end(ticket);
    }
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
    keep(this.sql, gen, now, k);
  }

  /** The answer of a current row: its text, or its view rendered now with the generation's model. */
  private render(row: ViewRow, now: number): string | null {
    if (row.timeless === 1) return row.profile;
    if (this.model?.gen !== row.gen) return null;
    return profileBody({ ...(JSON.parse(row.profile!) as Omit<ProfileView, 'model'>), model: this.model.stored }, now);
  }

  private answers(row: ViewRow, now: number): boolean {
    return row.gen === this.gen && now - row.stored_at < MAX_AGE_MS;
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
      this.directory = null;
      metaSet(this.sql, 'database', q.database);
    }
    return now;
  }

  /** A read on an object with catch-up work and no alarm (a new store, or one just restarted) schedules it. */
  private armIfIdle(now: number): void {
    if (this.armedAt === null && this.hasWork()) void this.arm(now + this.quietMs);
  }

  /** Every row stale at once (no row rewritten): the generation moves on, and a sweep starts over. */
  private bumpGeneration(now: number): void {
    this.guard.invalidateAll();
    this.gen++;
    metaSet(this.sql, 'gen', String(this.gen));
    this.startSweep(now);
  }

  private startSweep(now: number): void {
    this.sweepStartedAt = now;
    metaSet(this.sql, 'sweepStartedAt', String(now));
    this.saveSweep('');
  }

  private saveSweep(after: string | null): void {
    this.sweepAfter = after;
    metaSet(this.sql, 'sweep', JSON.stringify(after));
  }

  private hasWork(): boolean {
    return this.sweepAfter !== null || namedStale(this.sql, null, 1).length > 0;
  }

  private async arm(at: number): Promise<void> {
    if (this.armedAt !== null && this.armedAt <= at) return;
    this.armedAt = at;
    await this.ctx.storage.setAlarm(at);
  }

  private armSafetySweep(): Promise<void> {
    return this.sweptAt === 0 ? Promise.resolve() : this.arm(this.sweptAt + MAX_AGE_MS / 2);
  }
}

import type { Env } from '../env';
import { databaseOf, isDatabase } from '../directory/databases';
import { readViewBatch, type StoredViewSource, type ViewBatchTarget } from '../store/profile-views';
import { getWorkspace, isMoving, type Workspace } from '../store/workspaces';
import { packPage } from './page';
import type { RaceGuard, Ticket } from './race-guard';
import { FLUSH_STEP, type StaleLog } from './stale-log';
import { anyNamedStale, dropUnvisited, forget, metaGet, metaSet, namedStale } from './view-tables';

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

/** What the catch-up needs of the store it fills (profile-reads.ts): its state, and how it keeps a profile. */
export interface CatchUpHost {
  readonly sql: SqlStorage;
  readonly storage: DurableObjectStorage;
  readonly env: Env;
  readonly guard: RaceGuard;
  clock(): number;
  quietMs(): number;
  /** The store's generation now: rows read at an older one are kept no more. */
  generation(): number;
  workspace(): string | null;
  /** Remembers the workspace's database as the directory names it (a new one: a move, every row stale). */
  learn(q: { workspaceId: string; database: string }): void;
  /** Profiles named stale and not yet marked in `views`: the catch-up marks them before it looks for work. */
  readonly staleLog: StaleLog;
  /** Stores one profile the batch read at generation `gen` (inside the batch's transaction). */
  keep(gen: number, now: number, source: StoredViewSource, page: ArrayBuffer | null): void;
  readonly counts: { batches: number };
}

/**
 * The read store's catch-up: when it runs (the object's alarm, once no invalidation has arrived
 * for `quietMs`, or one batch every BUSY_EVERY_MS under writes that never pause) and what it reads
 * (named-stale profiles first, then a sweep over every canonical profile in id order, one D1
 * statement per batch of BATCH profiles, one batch per alarm: requests to the object wait while an
 * alarm runs, seen under wrangler dev, so a batch is all a read may wait for). The sweep's position
 * is kept in the store's `meta`, so a restarted object goes on where it stopped.
 *
 * @example
 * const catchUp = new CatchUp(host);
 * await catchUp.wrote(now);   // an invalidation: put the catch-up off until writes are quiet
 * await catchUp.alarm();      // the object's alarm
 */
export class CatchUp {
  /** The last canonical id the running sweep read (null: no sweep running), and when it began. */
  private sweepAfter: string | null;
  private sweepStartedAt: number;
  private sweptAt: number;
  private lastWriteAt = 0;
  private lastBatchAt: number;
  private armedAt: number | null = null;
  /**
   * Known to have nothing to do (checked since the last change that makes work): a restarted object
   * does not know its stored alarm, and without this every read would look for work again.
   */
  private idle = false;
  private directory: { at: number; workspace: Workspace | null } | null = null;

  constructor(private readonly host: CatchUpHost) {
    const get = (key: string) => metaGet(host.sql, key);
    // A new store sweeps from the start: '' sorts before every id.
    this.sweepAfter = get('sweep') === null ? '' : (JSON.parse(get('sweep')!) as string | null);
    this.sweepStartedAt = Number(get('sweepStartedAt') ?? 0);
    this.sweptAt = Number(get('sweptAt') ?? 0);
    this.lastBatchAt = host.clock();
  }

  /** Where the catch-up stands, for the store's status. */
  state(): { sweeping: boolean; lastSweepAt: string | null; quietForMs: number | null } {
    return {
      sweeping: this.sweepAfter !== null,
      lastSweepAt: this.sweptAt === 0 ? null : new Date(this.sweptAt).toISOString(),
      quietForMs: this.lastWriteAt === 0 ? null : this.host.clock() - this.lastWriteAt,
    };
  }

  /** An invalidation arrived: the catch-up waits until writes have been quiet for `quietMs` from now. */
  wrote(now: number): Promise<void> {
    this.lastWriteAt = now;
    this.idle = false;
    return this.arm(now + this.host.quietMs());
  }

  /** A read on an object with catch-up work and no alarm (a new store, or one just restarted) schedules it. */
  armIfIdle(now: number): void {
    if (this.armedAt !== null || this.idle) return;
    if (this.hasWork()) void this.arm(now + this.host.quietMs());
    else this.idle = true;
  }

  /** Every row is to be read again: a sweep starts over from the first id (a new generation, the safety net). */
  startSweep(now: number): void {
    this.idle = false;
    this.sweepStartedAt = now;
    metaSet(this.host.sql, 'sweepStartedAt', String(now));
    this.saveSweep('');
  }

  /**
   * The object's alarm: one batch if writes are quiet, then the next alarm at once while there is
   * more (or at the next safety sweep). Under writes that never pause it reads one batch every BUSY_EVERY_MS.
   */
  async alarm(): Promise<void> {
    const { host } = this;
    this.armedAt = null;
    const now = host.clock();
    const quiet = () => host.clock() - this.lastWriteAt >= host.quietMs();
    if (!quiet() && now - this.lastBatchAt < BUSY_EVERY_MS) return this.arm(this.nextTurn());
    if (this.sweepAfter === null && now - this.sweptAt >= MAX_AGE_MS / 2 && this.sweptAt > 0) this.startSweep(now);
    // Writes are quiet (or it is the busy batch's turn): the logged profiles go into `views` a step per alarm.
    host.staleLog.flush(now, FLUSH_STEP);
    if (host.workspace() === null || !this.hasWork()) return this.armSafetySweep();
    try {
      const workspace = await this.directoryEntry(now);
      if (!workspace) return;
      // During a move the old copy answers reads until the flip; the new one is swept after it.
      if (isMoving(workspace.move?.status) || !isDatabase(host.env, workspace.database)) return this.arm(host.clock() + DIRECTORY_MS);
      host.learn({ workspaceId: workspace.id, database: workspace.database });
      await this.step(databaseOf(host.env, workspace.database), workspace.id);
    } catch (err) {
      console.error('profile reads: catch-up failed', err);
      return this.arm(host.clock() + 5_000);
    }
    if (this.hasWork()) return this.arm(quiet() ? host.clock() : this.nextTurn());
    return this.armSafetySweep();
  }

  /** One batch of the catch-up: named-stale profiles first, then the sweep. Returns false when there was nothing to do. */
  async step(db: D1Database, workspaceId: string): Promise<boolean> {
    const { sql, guard } = this.host;
    const ids = namedStale(sql, this.sweepAfter, BATCH);
    if (ids.length > 0) {
      await this.readBatch(db, workspaceId, { ids }, (sources, ticket) => {
        // Ids no longer canonical (merged away) or gone (erased, rebuilt): their rows go; survivors are stored.
        const found = new Set(sources.map((s) => s.view.state.id));
        forget(sql, ids.filter((id) => !found.has(id) && guard.mayKeep(ticket, id)));
      });
      return true;
    }
    const after = this.sweepAfter;
    if (after === null) return false;
    await this.readBatch(db, workspaceId, { after, limit: BATCH }, (sources, _ticket, now) => {
      if (this.sweepAfter !== after) return;
      if (sources.length === BATCH) return this.saveSweep(sources[sources.length - 1].view.state.id);
      dropUnvisited(sql, this.sweepStartedAt);
      this.saveSweep(null);
      this.sweptAt = now;
      metaSet(sql, 'sweptAt', String(now));
    });
    return true;
  }

  /** The directory's row of the workspace, read again every DIRECTORY_MS (a batch per alarm would otherwise read it each time). */
  private async directoryEntry(now: number): Promise<Workspace | null> {
    if (this.directory && now - this.directory.at < DIRECTORY_MS) return this.directory.workspace;
    const workspace = await getWorkspace(this.host.env.DB, this.host.workspace()!);
    this.directory = { at: now, workspace };
    return workspace;
  }

  /** Forgets the directory's word (the store learned of a move): the next alarm asks again. */
  forgetDirectory(): void {
    this.directory = null;
  }

  private async readBatch(db: D1Database, workspaceId: string, target: ViewBatchTarget, then: (sources: StoredViewSource[], ticket: Ticket, now: number) => void) {
    const { host } = this;
    const gen = host.generation();
    const now = host.clock();
    const ticket = host.guard.begin();
    try {
      host.counts.batches++;
      this.lastBatchAt = now;
      const sources = await readViewBatch(db, workspaceId, target, now, TIMELINE_ROWS);
      const pages = sources.map((s) => (s.timeline ? packPage(s.timeline) : null));
      // Everything went stale meanwhile (an 'all', a move): nothing read may be kept, and the sweep restarted.
      if (host.guard.allRaced(ticket) || gen !== host.generation()) return;
      host.storage.transactionSync(() => {
        then(sources, ticket, now);
        sources.forEach((s, k) => {
          if (host.guard.mayKeep(ticket, s.view.state.id)) host.keep(gen, now, s, pages[k]);
        });
      });
    } finally {
      host.guard.end(ticket);
    }
  }

  /** When writes that go on would next let the catch-up run: once quiet, or for its busy batch. */
  private nextTurn(): number {
    return Math.min(this.lastWriteAt + this.host.quietMs(), this.lastBatchAt + BUSY_EVERY_MS);
  }

  private saveSweep(after: string | null): void {
    this.sweepAfter = after;
    metaSet(this.host.sql, 'sweep', JSON.stringify(after));
  }

  private hasWork(): boolean {
    return this.sweepAfter !== null || !this.host.staleLog.empty || anyNamedStale(this.host.sql);
  }

  private async arm(at: number): Promise<void> {
    if (this.armedAt !== null && this.armedAt <= at) return;
    this.armedAt = at;
    await this.host.storage.setAlarm(at);
  }

  private armSafetySweep(): Promise<void> {
    return this.sweptAt === 0 ? Promise.resolve() : this.arm(this.sweptAt + MAX_AGE_MS / 2);
  }
}

import { DurableObject } from 'cloudflare:workers';
import type { Env } from '../env';
import { sqlJobState, type JobState } from '../archive/job-state';
import { failRebuild, isRebuilding, rebuildStatus, startRebuild, type RebuildStatus } from '../archive/rebuild';
import { storageAnswers } from '../store/health';
import { databaseOf, isDatabase } from '../directory/databases';
import { graceMs, moveTurn, moveView, moveWakeAt, newMove, type MoveState } from '../directory/move';
import { fromInboxText } from '../store/events';
import { getWorkspace, setWorkspaceMove, type WorkspaceMove } from '../store/workspaces';
import { archiveJobStep, archiveStored, batchArchive, rebuildJobStep, requestArchiveJob, wantedArchiveJob, type ArchiveJob } from './archive-jobs';
import { retryAfterFailureMs, type InboxFaults, type InboxRow } from './cycle-policy';
import {
  appendRows, keepMeta, MAX_ATTEMPTS, nextBatchRows, readDeadLetters, readStatus, recordAttempt, removeRows, requeueDeadLetters, SCHEMA,
  type DeadLetter, type InboxEntry, type InboxStatus,
} from './inbox-tables';
import { resolveBatch } from './resolve-batch';
import { invalidateProfileReads, resolvedBatchScope } from '../profile-reads/invalidate';

/** Resolver cycles stop after this long and hand over to the next alarm (an alarm may run 15 min; stay far below). */
const CYCLE_BUDGET_MS = 20_000;

/**
 * The durable inbox and resolver of one workspace (one object per workspace, named by its id).
 *
 * Ingest appends validated, normalised events here and answers 200 once the append is durable:
 * Durable Object storage is committed before the caller sees the RPC return, and it and its
 * alarm survive a kill -9 of the local runtime (local Queues do not, see TOOLCHAIN.md). The
 * alarm then drains the inbox in batches through `resolveBatch`, the one place where identity,
 * profiles, privacy decisions and memberships change. One object per workspace makes it the only
 * writer of that workspace's identity state, so resolver batches never race each other.
 *
 * A row leaves the inbox only after its batch is written to D1 and to the R2 archive (the events
 * it stored, as gzip NDJSON per receive hour). A crash between the two replays
 * the batch: the events are deduplicated by messageId in the same atomic D1 write that changes
 * the profiles, so nothing is counted twice. A batch that fails is retried row by row (with
 * backoff) so that one poison message cannot hold up the rest; a row that keeps failing moves to
 * the dead letters, which `replayDeadLetters` sends through the resolver again.
 */
export class IngestInbox extends DurableObject<Env> {
  private draining: Promise<void> | null = null;
  /** Consecutive failures while D1 itself was down (they never count against a message). */
  private outages = 0;
  /** Consecutive failed rebuild steps (transient ones are retried; a step failing this often fails the rebuild). */
  private rebuildFailures = 0;
  /** Test seam for crashes (cycle-policy.ts InboxFaults). */
  faults: InboxFaults = {};

  /** What the resolver handed to waitUntil and is not finished yet (a move waits for it before copying). */
  private readonly tails = new Set<Promise<unknown>>();

  /** The object's `meta` table: its workspace, generation, move, and the archive jobs' state. */
  private readonly meta: JobState;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    ctx.storage.sql.exec(SCHEMA);
    this.meta = sqlJobState(ctx.storage.sql);
    // Names this storage's archive objects apart from those of an inbox that was ever reset (see batchName).
    keepMeta(ctx.storage.sql, 'generation', crypto.randomUUID().slice(0, 8));
  }

  /**
   * Appends events durably (a messageId already waiting is not appended twice) and makes sure the
   * resolver runs. Returns how many rows were new.
   */
  async append(workspaceId: string, entries: readonly InboxEntry[]): Promise<number> {
    keepMeta(this.ctx.storage.sql, 'workspaceId', workspaceId);
    const added = appendRows(this.ctx.storage.sql, entries);
    if ((await this.ctx.storage.getAlarm()) === null) await this.ctx.storage.setAlarm(Date.now());
    return added;
  }

  override async alarm(): Promise<void> {
    await this.drain(Date.now() + CYCLE_BUDGET_MS);
  }

  /** Resolves everything that is due now and waits for it (tests and replays use it; the alarm does the same). */
  async settle(): Promise<InboxStatus> {
    await this.drain(Number.POSITIVE_INFINITY);
    return this.status();
  }

  status(now = Date.now()): InboxStatus {
    return readStatus(this.ctx.storage.sql, now);
  }

  deadLetters(limit = 100): DeadLetter[] {
    return readDeadLetters(this.ctx.storage.sql, limit);
  }

  /** Moves every dead letter back into the inbox with fresh attempts and runs the resolver on them. */
  async replayDeadLetters(): Promise<{ replayed: number }> {
    const replayed = requeueDeadLetters(this.ctx.storage);
    if (replayed > 0) await this.ctx.storage.setAlarm(Date.now());
    return { replayed };
  }

  /**
   * Starts moving this workspace's data to another database (directory/move.ts): ingest keeps being
   * acknowledged into this object's storage and resolved once the rows are over. One move at a time.
   */
  async startMove(workspaceId: string, from: string, to: string): Promise<{ move: WorkspaceMove } | { busy: WorkspaceMove }> {
    const current = this.move();
    if (current && current.phase !== 'done' && current.phase !== 'failed') return { busy: moveView(current) };
    keepMeta(this.ctx.storage.sql, 'workspaceId', workspaceId);
    const move = newMove(workspaceId, from, to, Date.now(), graceMs(this.env));
    // The directory first: writes are refused from there; a move it does not know of never starts.
    await setWorkspaceMove(this.env.DB, workspaceId, moveView(move));
    this.saveMove(move);
    await this.ctx.storage.setAlarm(Date.now());
    return { move: moveView(move) };
  }

  private move(): MoveState | null {
    const move = this.meta.get('move');
    return move === null ? null : (JSON.parse(move) as MoveState);
  }

  private saveMove(move: MoveState): void {
    this.meta.set('move', JSON.stringify(move));
  }

  /** The resolver's waitUntil work, tracked so that a move can wait for it. */
  private readonly waitUntil = (p: Promise<unknown>) => {
    const tracked = p.finally(() => this.tails.delete(tracked));
    this.tails.add(tracked);
    this.ctx.waitUntil(tracked);
  };

  /**
   * Asks for archive work on the next alarms, once the inbox is empty (resolver/archive-jobs.ts):
   * `purge` makes erasures physical in the R2 archive (readers skip those events meanwhile);
   * `retention` deletes archived events older than the hot window from D1 (the hourly cron asks).
   */
  async scheduleArchiveJob(workspaceId: string, job: ArchiveJob): Promise<void> {
    requestArchiveJob(this.ctx.storage.sql, this.meta, workspaceId, job);
    await this.ctx.storage.setAlarm(Date.now());
  }

  /**
   * Re-derives the workspace's identities, profiles, computed traits and memberships from the R2
   * archive through the resolver (archive/rebuild.ts), on this object's alarm: the one writer of
   * the workspace's state, so the rebuild never races ingest. Answers its progress.
   */
  async startRebuild(workspaceId: string): Promise<RebuildStatus> {
    keepMeta(this.ctx.storage.sql, 'workspaceId', workspaceId);
    const status = await startRebuild(this.env.ARCHIVE, workspaceId, this.meta, Date.now());
    this.rebuildFailures = 0;
    await this.ctx.storage.setAlarm(Date.now());
    return status;
  }

  rebuildStatus(): RebuildStatus | null {
    return rebuildStatus(this.meta);
  }

  /** One rebuild step. Answers whether to go on now; after a failure the alarm comes back later. */
  private async rebuildWork(): Promise<boolean> {
    try {
      await rebuildJobStep(this.env, this.meta, await this.workspace());
      this.rebuildFailures = 0;
      return true;
    } catch (err) {
      console.error('rebuild step failed', err);
      if (++this.rebuildFailures >= MAX_ATTEMPTS) failRebuild(this.meta, err, Date.now());
      await this.ctx.storage.setAlarm(Date.now() + retryAfterFailureMs(this.rebuildFailures));
      return false;
    }
  }

  /**
   * One step of archive work when there is some: the purge of erasures first, then retention.
   * Answers whether to come back for more. A failed step is tried again in 30 s from where it
   * stopped; readers keep skipping erased events until the purge is done.
   */
  private async archiveWork(): Promise<boolean> {
    const job = wantedArchiveJob(this.meta);
    if (job === null) return false;
    try {
      await archiveJobStep(this.env, this.meta, await this.workspace(), job);
      return true;
    } catch (err) {
      console.error(`archive ${job} step failed; retrying in 30 s`, err);
      await this.ctx.storage.setAlarm(Date.now() + 30_000);
      return false;
    }
  }

  private async workspace() {
    const workspaceId = this.meta.get('workspaceId')!;
    const workspace = await getWorkspace(this.env.DB, workspaceId);
    if (!workspace) throw new Error(`workspace ${workspaceId} no longer exists`);
    return workspace;
  }

  /** One drain at a time: the alarm and `settle` share it, so batches never run concurrently. */
  private drain(deadline: number): Promise<void> {
    const run = async () => {
      // After a step of a move, a rebuild or archive work, a timer hands the thread back to the
      // network: local workerd runs D1 and R2 in-process, so such work kept every request waiting
      // until it was over (a rebuild of 20,000 events: /health after 15 s). Not between resolver
      // cycles: appends waiting for the inbox to empty are the back-pressure that bounds the lag (a
      // timer there: lag p50 5.1 s at batch 500 instead of 0.6). On Cloudflare calls are network I/O.
      const breathe = () => new Promise<true>((next) => setTimeout(() => next(true), 0));
      while (Date.now() < deadline) {
        // A move in progress holds ingest here (it stays acknowledged and durable) until its rows are over.
        const move = this.move();
        if (move && this.faults.holdMove && (move.phase === 'waiting' || move.phase === 'copying')) return;
        const turn = move
          ? await moveTurn(this.env, move, { save: (m) => this.saveMove(m), settle: () => Promise.allSettled([...this.tails]).then(() => undefined), afterChunk: this.faults.afterMoveChunk }, deadline)
          : null;
        if (turn && !turn.drain) {
          if (turn.waitMs > 0) return void (await this.ctx.storage.setAlarm(Date.now() + turn.waitMs));
          await breathe();
          continue;
        }
        // A rebuild holds the inbox (after a move's copy, which comes first): new events wait,
        // acknowledged and durable, until the archive is replayed.
        if (isRebuilding(this.meta)) {
          if ((await this.rebuildWork()) && (await breathe())) continue;
          return;
        }
        const outcome = await this.cycle();
        if (outcome === 'empty') {
          if (turn?.more) continue;
          // Archive work waits for an empty inbox: acknowledged events come first.
          if ((await this.archiveWork()) && (await breathe())) continue;
          const wake = moveWakeAt(this.move());
          if (wake !== null) await this.ctx.storage.setAlarm(wake);
          return;
        }
        if (typeof outcome === 'number') {
          // A failure: the failed rows wait out their backoff; the alarm brings them back.
          await this.ctx.storage.setAlarm(Date.now() + outcome);
          return;
        }
      }
      await this.ctx.storage.setAlarm(Date.now());
    };
    const next = (this.draining ?? Promise.resolve()).then(run, run);
    const current = next.finally(() => {
      if (this.draining === current) this.draining = null;
    });
    this.draining = current;
    return current;
  }

  /** Resolves one batch. Answers 'empty', 'done', or the ms to wait before retrying a failure. */
  private async cycle(): Promise<'empty' | 'done' | number> {
    const rows = nextBatchRows(this.ctx.storage.sql);
    if (rows.length === 0) return 'empty';
    const events = rows.map((r) => fromInboxText(r.body));
    // The directory (DB) says which database holds the workspace, read afresh for every batch.
    let db = this.env.DB;
    try {
      const workspace = await this.workspace();
      const workspaceId = workspace.id;
      // A database the directory names but this deployment does not bind is a configuration error, not the messages' fault.
      if (!isDatabase(this.env, workspace.database)) {
        console.error('resolver: the directory names an unbound database', workspaceId, workspace.database);
        return retryAfterFailureMs(++this.outages);
      }
      db = databaseOf(this.env, workspace.database);
      await this.faults.beforeResolve?.(events);
      const archive = batchArchive(this.ctx.storage.sql, workspaceId, { rows, events });
      const outcome = await resolveBatch(db, workspace, events, Date.now(), this.waitUntil, { archive: archive.objectsOf });
      // Profile reads kept for what the batch changed go before the batch counts as resolved.
      await invalidateProfileReads(this.env, workspaceId, await resolvedBatchScope(db, workspace, events, outcome));
      // Archived after the D1 write (which stored each event's place in the objects) and before the
      // rows leave the inbox: a crash in between replays the batch from the same first row, which
      // sets the places again and rewrites the same objects (batchName). A failed batch is retried
      // row by row, under other names: the stored rows then take the places of those objects.
      await this.faults.beforeArchive?.(outcome.archived);
      if (outcome.archived.length > 0) await archiveStored(this.env, this.ctx.storage.sql, archive.objectsOf(outcome.archived));
      this.faults.afterResolve?.(events);
    } catch (err) {
      return this.recordFailure(rows, err, db);
    }
    this.outages = 0;
    removeRows(this.ctx.storage.sql, rows.map((r) => r.seq));
    return 'done';
  }

  /**
   * A failed batch. While D1 itself is down nothing is held against the messages: they wait,
   * backing off up to 30 s, however long the outage lasts. Otherwise each row's attempts go up,
   * which sends them through one at a time, and a row that fails alone MAX_ATTEMPTS times becomes
   * a dead letter.
   */
  private async recordFailure(rows: readonly InboxRow[], err: unknown, db: D1Database): Promise<number> {
    const error = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
    console.error('resolver batch failed', rows.length, 'rows', error);
    if (!(await storageAnswers(db))) return retryAfterFailureMs(++this.outages);
    this.outages = 0;
    recordAttempt(this.ctx.storage, rows.map((r) => r.seq), rows.length === 1, error, Date.now());
    return retryAfterFailureMs(Math.max(...rows.map((r) => r.attempts)) + 1);
  }
}

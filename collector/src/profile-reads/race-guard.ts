/**
 * The check that keeps a D1 read which raced a write from storing what it read, pure (no I/O).
 *
 * A read (a reader's miss, or a batch of the store's catch-up) takes a ticket before it queries D1;
 * every invalidation bumps a sequence number and, while reads are in flight, remembers the sequence
 * at which each profile was invalidated. When the read comes back it may keep a profile only if
 * neither that profile nor everything was invalidated after its ticket: otherwise what it read may
 * predate the write, and it is answered (a read that began before the write) but not kept.
 *
 * @example
 * const ticket = guard.begin();
 * try {
 *   const view = await readFromD1(ref);              // writers may invalidate meanwhile
 *   if (guard.mayKeep(ticket, view.id)) keep(view);
 * } finally {
 *   guard.end(ticket);
 * }
 */
export class RaceGuard {
  /** Bumped by every invalidation; a ticket remembers its value. */
  private seq = 0;
  /** Where `invalidateAll` last left `seq`. */
  private allAt = 0;
  /** Profiles invalidated while reads were in flight, with the `seq` of their invalidation. */
  private readonly invalidatedAt = new Map<string, number>();
  private inFlight = 0;

  /** Call before reading D1, and `end` after (in a finally). */
  begin(): Ticket {
    this.inFlight++;
    return { seq: this.seq };
  }

  end(_ticket: Ticket): void {
    // With no read in flight nothing can be compared against old invalidations any more.
    if (--this.inFlight === 0) this.invalidatedAt.clear();
  }

  /** Whether what the ticket's read found for this canonical profile may be kept. */
  mayKeep(ticket: Ticket, canonicalId: string): boolean {
    return !this.allRaced(ticket) && (this.invalidatedAt.get(canonicalId) ?? 0) <= ticket.seq;
  }

  /** Whether everything was invalidated after the ticket was taken (a batch read then keeps nothing). */
  allRaced(ticket: Ticket): boolean {
    return this.allAt > ticket.seq;
  }

  invalidate(profileIds: Iterable<string>): void {
    this.seq++;
    if (this.inFlight === 0) return;
    for (const id of profileIds) this.invalidatedAt.set(id, this.seq);
  }

  invalidateAll(): void {
    this.seq++;
    this.allAt = this.seq;
  }
}

/** A read that went to D1: where the invalidation sequence stood when it started. */
export interface Ticket {
  readonly seq: number;
}

import { describe, expect, it } from 'vitest';
import { RaceGuard } from './race-guard';

describe('RaceGuard', () => {
  it.each([
    ['the same profile invalidated while the read was in flight', (g: RaceGuard) => g.invalidate(['prof_a']), false],
    ['everything invalidated while the read was in flight', (g: RaceGuard) => g.invalidateAll(), false],
    ['another profile invalidated meanwhile', (g: RaceGuard) => g.invalidate(['prof_b']), true],
    ['nothing happened meanwhile', () => {}, true],
  ])('keeps what a read found only if no write raced it: %s', (_name, meanwhile, kept) => {
    const guard = new RaceGuard();
    const ticket = guard.begin();
    meanwhile(guard);
    expect(guard.mayKeep(ticket, 'prof_a')).toBe(kept);
    guard.end(ticket);
  });

  it('keeps a read that began after the invalidation', () => {
    const guard = new RaceGuard();
    guard.invalidate(['prof_a']);
    guard.invalidateAll();
    const ticket = guard.begin();
    expect(guard.mayKeep(ticket, 'prof_a')).toBe(true);
    expect(guard.allRaced(ticket)).toBe(false);
  });

  it('refuses a racing read even when another read in flight ended first', () => {
    const guard = new RaceGuard();
    const slow = guard.begin();
    const fast = guard.begin();
    guard.invalidate(['prof_a']);
    guard.end(fast);
    expect(guard.mayKeep(slow, 'prof_a')).toBe(false);
    expect(guard.mayKeep(slow, 'prof_b')).toBe(true);
    guard.end(slow);
  });
});

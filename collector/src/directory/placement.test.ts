import { describe, expect, it } from 'vitest';
import { leastLoaded, WORKSPACE_RESERVE_BYTES as R, type DatabaseLoad } from './placement';

const db = (name: string, bytes: number, workspaces: number): DatabaseLoad => ({ name, bytes, workspaces });

describe('leastLoaded', () => {
  it.each([
    ['a fresh install fills DB first (tie)', [db('DB', 100, 0), db('DB_2', 100, 0)], 'DB'],
    ['an empty workspace reserves room, so the next goes elsewhere', [db('DB', 100, 1), db('DB_2', 100, 0)], 'DB_2'],
    ['equal counts: fewer bytes wins', [db('DB', 5e6, 2), db('DB_2', 4e6, 2)], 'DB_2'],
    ['a big database loses to one with more but small workspaces', [db('DB', 4 * R, 1), db('DB_2', 0, 2)], 'DB_2'],
    ['a third database with nothing in it', [db('DB', 1e9, 10), db('DB_2', 1e9, 10), db('DB_3', 0, 0)], 'DB_3'],
    ['order breaks ties among later ones too', [db('DB', 3e6, 3), db('DB_2', 100, 1), db('DB_3', 100, 1)], 'DB_2'],
  ])('%s', (_name, loads, expected) => {
    expect(leastLoaded(loads)).toBe(expected);
  });

  it('refuses to place without any database', () => {
    expect(() => leastLoaded([])).toThrow(/no database/);
  });
});

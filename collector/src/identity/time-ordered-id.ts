import { nanoid } from 'nanoid';

/** Base-36 digits of a millisecond time: 9 cover every date up to the year 5188, so ids of later times sort after. */
const TIME_DIGITS = 9;

/**
 * An id for a new profile (or merge record) whose text sorts by creation time: `prefix_`, the
 * time in base 36, then random characters (12 of nanoid's 64-letter alphabet: 4.7e21 per
 * millisecond). Every index keyed by profile id (profiles, their canonical id, identities by
 * profile, events by profile and time) then takes a batch's new people at its right edge, a few
 * pages, instead of one random page per person: with random ids, the pages a resolver batch
 * writes grew with the number of people stored. Opaque to clients, as before.
 *
 * @example
 * timeOrderedId('prof', Date.UTC(2026, 11, 7)) // -> 'prof_0mxci7eo0' + 12 random characters
 */
export function timeOrderedId(prefix: string, now: number): string {
  return `${prefix}_${Math.max(0, Math.floor(now)).toString(36).padStart(TIME_DIGITS, '0')}${nanoid(12)}`;
}

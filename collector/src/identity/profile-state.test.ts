import { describe, expect, it } from 'vitest';
import type { JsonObject } from '../../../sdk/src/contract';
import { applyEvent, emptyProfile, foldProfile } from './profile-state';
import { ev } from './test-fixtures';

const browserContext = (over: JsonObject = {}): JsonObject => ({
  device: { type: 'desktop' },
  os: { name: 'Linux' },
  browser: { name: 'Chrome', version: '126.0.0.0' },
  location: { country: 'ID', city: 'Bandung' },
  ...over,
});

const profileAfter = (events: { t: number; context: JsonObject }[]) => {
  const p = emptyProfile('prof_a', 0);
  for (const e of events) applyEvent(p, ev(e));
  return p;
};

describe('the context times a profile row keeps', () => {
  it.each([
    {
      name: 'one event with every key: no per-key times, contextAt says it',
      events: [{ t: 5, context: browserContext() }],
      stored: { contextAt: 5 },
    },
    {
      name: 'later events with every key again: still none',
      events: [
        { t: 5, context: browserContext() },
        { t: 9, context: browserContext({ os: { name: 'Windows' } }) },
      ],
      stored: { contextAt: 9, os: { name: 'Windows' } },
    },
    {
      name: 'a later event with one key: the others keep their own time',
      events: [
        { t: 5, context: browserContext() },
        { t: 9, context: { os: { name: 'Windows' } } },
      ],
      stored: { contextAt: 9, contextTimes: { device: 5, os: 9, browser: 5, location: 5 } },
    },
    {
      name: 'a late event with an older context fills only what was missing',
      events: [
        { t: 9, context: { os: { name: 'Windows' } } },
        { t: 5, context: browserContext() },
      ],
      stored: { contextAt: 9, os: { name: 'Windows' }, device: { type: 'desktop' }, contextTimes: { os: 9, device: 5, browser: 5, location: 5 } },
    },
  ])('$name', ({ events, stored }) => {
    const p = profileAfter(events);
    expect(p.computed).toMatchObject(stored);
    if (!('contextTimes' in stored)) expect(JSON.stringify(p.computed)).not.toContain('contextTimes');
  });

  it('reads a row without per-key times as contextAt for every key it has', () => {
    // Newer than the row's context for os only: os moves, the rest stays.
    const p = profileAfter([{ t: 5, context: browserContext() }]);
    applyEvent(p, ev({ t: 4, context: { os: { name: 'Windows' }, device: { type: 'mobile' } } }));
    expect(p.computed).toMatchObject({ os: { name: 'Linux' }, device: { type: 'desktop' }, contextAt: 5 });
    applyEvent(p, ev({ t: 7, context: { os: { name: 'Windows' } } }));
    expect(p.computed).toMatchObject({ os: { name: 'Windows' }, contextTimes: { device: 5, os: 7, browser: 5, location: 5 } });
  });

  it('merging two profiles gives the same context whichever survives', () => {
    const a = () => profileAfter([{ t: 5, context: browserContext() }]);
    const b = () => profileAfter([{ t: 8, context: { os: { name: 'Windows' } } }]);
    const ab = a();
    foldProfile(ab, b());
    const ba = b();
    foldProfile(ba, a());
    expect(ab.computed).toEqual(ba.computed);
    expect(ab.computed).toMatchObject({ os: { name: 'Windows' }, contextAt: 8, contextTimes: { os: 8, device: 5 } });
  });
});

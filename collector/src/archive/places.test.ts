import { describe, expect, it } from 'vitest';
import type { StoredEvent } from '../ingest/normalise';
import { archivePlaces, objectLinesOf } from './places';
import type { PlannedObject } from './objects';

const ev = (messageId: string) => ({ messageId }) as StoredEvent;
const key = (name: string) => `events/ws_1/dt=2026-12-06/hour=09/${name}.ndjson.gz`;
const [a, b, c] = [ev('a'), ev('b'), ev('c')];

describe('archive places of planned objects', () => {
  it.each<[string, PlannedObject[], [StoredEvent, { object: string; line: number; lines: number }][]]>([
    ['no objects', [], []],
    ['one object: lines in order, the object counted', [{ key: key('1-g'), events: [a, b] }], [
      [a, { object: 'dt=2026-12-06/hour=09/1-g.ndjson.gz', line: 0, lines: 2 }],
      [b, { object: 'dt=2026-12-06/hour=09/1-g.ndjson.gz', line: 1, lines: 2 }],
    ]],
    ['two hours: each object counts its own lines', [{ key: key('1-g'), events: [a] }, { key: key('2-g'), events: [b, c] }], [
      [a, { object: 'dt=2026-12-06/hour=09/1-g.ndjson.gz', line: 0, lines: 1 }],
      [b, { object: 'dt=2026-12-06/hour=09/2-g.ndjson.gz', line: 0, lines: 2 }],
      [c, { object: 'dt=2026-12-06/hour=09/2-g.ndjson.gz', line: 1, lines: 2 }],
    ]],
  ])('%s', (_, objects, expected) => {
    expect([...archivePlaces('ws_1', objects).entries()]).toEqual(expected);
    expect(objectLinesOf('ws_1', objects)).toEqual(objects.map((o) => ({ object: o.key.slice('events/ws_1/'.length), messageIds: o.events.map((e) => e.messageId) })));
  });
});

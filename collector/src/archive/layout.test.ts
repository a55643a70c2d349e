import { describe, expect, it } from 'vitest';
import { batchName, byPartition, hourOfKey, listStartAfter, objectKey, partitionOf } from './layout';
import { fromArchiveLine, toArchiveLine } from './line';
import type { StoredEvent } from '../ingest/normalise';

describe('archive layout', () => {
  it.each([
    [Date.UTC(2026, 11, 6, 9, 30), 'dt=2026-12-06/hour=09/'],
    [Date.UTC(2026, 11, 6, 23, 59, 59, 999), 'dt=2026-12-06/hour=23/'],
    [Date.UTC(2027, 0, 1, 0, 0), 'dt=2027-01-01/hour=00/'],
  ])('partitions %s as %s', (ms, partition) => {
    expect(partitionOf(ms)).toBe(partition);
    expect(hourOfKey(objectKey('ws_1', ms, batchName(7, 'g')))).toBe(ms - (ms % 3_600_000));
  });

  it('names objects so they sort in arrival order', () => {
    expect(objectKey('ws_1', Date.UTC(2026, 11, 6, 9), batchName(42, 'g1'))).toBe('events/ws_1/dt=2026-12-06/hour=09/000000000042-g1.ndjson.gz');
    expect(batchName(9, 'g') < batchName(10, 'g')).toBe(true);
  });

  it('groups events by receive hour, keeping their order', () => {
    const at = (h: number, m: number) => ({ receivedAt: Date.UTC(2026, 11, 6, h, m) });
    const groups = byPartition([at(9, 1), at(10, 0), at(9, 59)]);
    expect([...groups.keys()]).toEqual(['dt=2026-12-06/hour=09/', 'dt=2026-12-06/hour=10/']);
    expect(groups.get('dt=2026-12-06/hour=09/')).toEqual([at(9, 1), at(9, 59)]);
  });

  it.each([
    [-Infinity, undefined],
    [Date.UTC(2026, 11, 6, 9, 30), 'events/ws_1/dt=2026-12-06/hour=09/'],
  ])('starts a listing from %s after %s', (from, startAfter) => {
    expect(listStartAfter('ws_1', from)).toBe(startAfter);
  });
});

const base: StoredEvent = {
  messageId: 'm1', type: 'track', event: 'Order Completed', name: null, anonymousId: 'a1', userId: null, groupId: null, previousId: null,
  timestamp: Date.UTC(2026, 11, 6, 9), receivedAt: Date.UTC(2026, 11, 6, 9, 0, 1), sentAt: null, originalTimestamp: null,
  properties: { revenue: 5 }, traits: null, context: { ip: '1.2.3.0' }, integrations: null,
};

describe('archive lines', () => {
  it.each<[string, StoredEvent]>([
    ['a track event', base],
    ['an identify with every field', { ...base, type: 'identify', event: null, userId: 'u1', traits: { email: 'a@b.c' }, sentAt: base.receivedAt, originalTimestamp: base.timestamp - 5, integrations: { All: false }, properties: null }],
    ['a page with a name', { ...base, type: 'page', event: null, name: 'Home', properties: {} }],
    ['an alias', { ...base, type: 'alias', event: null, userId: 'u2', previousId: 'u1', properties: null }],
    ['a group', { ...base, type: 'group', event: null, groupId: 'g1', traits: { plan: 'pro' }, properties: null }],
  ])('round-trips %s', (_, event) => {
    const line = JSON.parse(JSON.stringify(toArchiveLine(event)));
    expect(fromArchiveLine(line)).toEqual(event);
  });

  it('writes a Segment-spec message with ISO times and no null fields', () => {
    expect(toArchiveLine(base)).toEqual({
      messageId: 'm1', type: 'track', event: 'Order Completed', anonymousId: 'a1',
      timestamp: '2026-12-06T09:00:00.000Z', receivedAt: '2026-12-06T09:00:01.000Z', properties: { revenue: 5 }, context: { ip: '1.2.3.0' },
    });
  });
});

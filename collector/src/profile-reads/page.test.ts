import { describe, expect, it } from 'vitest';
import type { TimelineEvent } from '../store/profiles';
import { timelineBody } from './answers';
import { packPage, pageBody } from './page';

// Newest first, as the store reads them; texts with newlines, quotes and non-ASCII, since the page
// keeps one event per line.
const rows = (n: number): TimelineEvent[] =>
  Array.from({ length: n }, (_, k) => ({
    messageId: `m-${n - k}`,
    type: 'track',
    event: 'Viewed',
    name: null,
    timestamp: Date.UTC(2026, 0, 1) + (n - k) * 1_000 + (k % 2),
    properties: { note: `line one\nline two "${k}" é ☃`, path: '/a\\b' },
    traits: null,
    context: k % 3 === 0 ? null : { page: { url: 'https://example.com/' } },
  }));

describe('a stored timeline page', () => {
  it.each([
    // [events kept, rows asked for when kept, limit read]
    [51, 51, 20],
    [51, 51, 50],
    [51, 51, 1],
    [10, 51, 20],
    [10, 51, 10],
    [10, 51, 9],
    [0, 51, 20],
    [21, 21, 20],
    [1, 2, 1],
  ])('of %i events (read asking %i) answers limit %i exactly as the rows would', (n, fetched, limit) => {
    const body = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(pageBody(packPage(rows(n)), limit, fetched)!);
    expect(body).toBe(timelineBody(rows(n), limit));
    expect(JSON.parse(body).data).toHaveLength(Math.min(n, limit));
  });

  it.each([
    ['as many events as the limit, and as many as were asked for: more may exist', 51, 51, 51],
    ['fewer than the limit, but all that were asked for', 20, 20, 30],
    ['more than it holds', 51, 51, 100],
  ])('does not answer a page it cannot know whole: %s', (_name, n, fetched, limit) => {
    expect(pageBody(packPage(rows(n)), limit, fetched)).toBeNull();
  });

  it('packs the bench-like page well below its text', () => {
    const text = timelineBody(rows(51), 51);
    expect(packPage(rows(51)).byteLength).toBeLessThan(text.length / 4);
  });
});

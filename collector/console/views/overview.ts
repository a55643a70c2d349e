import { api } from '../api';
import { dailyBars, sparkline } from '../chart';
import { h, mount } from '../dom';
import { formatCount, formatShare, messageLabel, timeAgo } from '../format';
import type { ViewContext } from '../main';
import type { EventInsights, ProfileInsights, SegmentTrend, TailEvent } from '../types';
import { empty, inlineError, section } from '../ui';

const TAIL_EVERY_MS = 3000;
const TAIL_KEEP = 12;

const stat = (label: string, value: string, note?: string) =>
  h('div', { class: 'stat' }, h('div', { class: 'stat-value' }, value), h('div', { class: 'stat-label' }, label), note ? h('div', { class: 'muted small' }, note) : null);

/** Each part loads on its own: a slow or failing one shows its error, the others still show. */
async function part<T>(promise: Promise<T>, draw: (value: T) => Node, slot: HTMLElement): Promise<void> {
  try {
    slot.replaceChildren(draw(await promise));
  } catch (err) {
    if ((err as Error).name !== 'AbortError') slot.replaceChildren(inlineError(err));
  }
}

function topEvents(ins: EventInsights) {
  if (ins.byEvent.length === 0) return empty('No track events in the last 30 days.');
  const max = ins.byEvent[0]!.total || 1;
  return h(
    'ol',
    { class: 'top-events' },
    ins.byEvent.map((e) => {
      const meter = h('span', { class: 'meter' }, h('span', { class: 'meter-fill' }));
      (meter.firstChild as HTMLElement).style.width = `${Math.max(2, (e.total / max) * 100)}%`;
      return h('li', null, h('span', { class: 'name' }, e.event), h('span', { class: 'num' }, formatCount(e.total)), meter);
    }),
    ins.otherEvents.names ? h('li', { class: 'muted' }, `${ins.otherEvents.names} more event names: ${formatCount(ins.otherEvents.total)}`) : null,
  );
}

function segmentTable(trends: SegmentTrend[]) {
  if (trends.length === 0) return h('p', { class: 'muted empty' }, 'No segments yet. ', h('a', { href: '/console/segments/new' }, 'Build one'));
  return h(
    'div',
    { class: 'scroll' },
    h(
      'table',
      null,
      h('thead', null, h('tr', null, h('th', { scope: 'col' }, 'Segment'), h('th', { scope: 'col', class: 'num' }, 'Size'), h('th', { scope: 'col' }, 'Last 30 days'))),
      h(
        'tbody',
        null,
        trends.map((t) =>
          h(
            'tr',
            null,
            h('td', null, h('a', { href: `/console/segments/${encodeURIComponent(t.key)}` }, t.name), h('div', { class: 'muted small' }, t.key)),
            h('td', { class: 'num' }, formatCount(t.size)),
            h(
              'td',
              null,
              // History is recorded from the first scheduled run on; one point is not a trend yet.
              t.daily.filter((d) => d.size !== null).length > 1
                ? sparkline(t.daily.map((d) => d.size), `Daily size of ${t.name} over 30 days`)
                : h('span', { class: 'muted small' }, 'recorded daily from today'),
            ),
          ),
        ),
      ),
    ),
  );
}

function tailRow(e: TailEvent) {
  const who = e.userId ?? e.anonymousId ?? '';
  return h(
    'li',
    { class: 'tail-row' },
    h('span', { class: `badge t-${e.type}` }, e.type),
    h(
      'span',
      { class: 'what' },
      e.profileId ? h('a', { href: `/console/profiles/${encodeURIComponent(e.profileId)}` }, messageLabel(e)) : messageLabel(e),
      who ? h('span', { class: 'muted small' }, ` · ${who}`) : null,
    ),
    h('time', { class: 'muted small', datetime: e.receivedAt, title: e.receivedAt }, timeAgo(e.receivedAt)),
  );
}

/** Polls the tail while the overview is open; stops when the view's signal aborts. */
function liveTail(signal: AbortSignal) {
  const list = h('ol', { class: 'tail', 'aria-live': 'polite', 'aria-relevant': 'additions' });
  const state = h('p', { class: 'muted small' }, 'Waiting for events…');
  let after = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const poll = async () => {
    try {
      const res = await api<{ data: TailEvent[]; cursor: { after: number } }>('/v1/insights/tail', { query: { after, limit: TAIL_KEEP }, signal });
      after = res.cursor.after;
      if (res.data.length) {
        list.prepend(...res.data.map(tailRow));
        while (list.children.length > TAIL_KEEP) list.lastElementChild!.remove();
      }
      state.textContent = list.children.length ? `Live: checking every ${TAIL_EVERY_MS / 1000} s` : 'No events yet. Send one and it appears here.';
    } catch (err) {
      if (signal.aborted) return;
      state.replaceChildren(inlineError(err));
    }
    if (!signal.aborted) timer = setTimeout(poll, TAIL_EVERY_MS);
  };
  signal.addEventListener('abort', () => clearTimeout(timer));
  void poll();
  return h('div', null, state, list);
}

/** Overview: events per day, top events, people, segments with their trend, live tail. */
export async function overviewView({ main, signal }: ViewContext): Promise<void> {
  const slots = { cards: h('div', { class: 'stats' }), chart: h('div'), top: h('div'), segments: h('div'), };
  mount(
    main,
    h('h1', null, 'Overview'),
    slots.cards,
    h('div', { class: 'grid-2' }, section('Events per day, last 30 days (UTC)', slots.chart), section('Top events', slots.top)),
    h('div', { class: 'grid-2' }, section('Segments', slots.segments), section('Live events', liveTail(signal))),
  );
  const events = api<EventInsights>('/v1/insights/events', { query: { days: 30, top: 8 }, signal });
  const profiles = api<ProfileInsights>('/v1/insights/profiles', { query: { days: 30 }, signal });
  await Promise.all([
    part(
      Promise.all([events, profiles]),
      ([ev, p]) =>
        h(
          'div',
          { class: 'stats-inner' },
          stat('Events, 30 days', formatCount(ev.total)),
          stat('Profiles', formatCount(p.total), `${formatCount(p.active)} seen in 30 days`),
          stat('Identified', formatShare(p.identifiedShare), `${formatCount(p.identified)} known, ${formatCount(p.anonymous)} anonymous`),
        ),
      slots.cards,
    ),
    part(events, (ev) => (ev.total ? dailyBars(ev.daily, 'Events per day') : empty('No events in the last 30 days.')), slots.chart),
    part(events, topEvents, slots.top),
    part(api<{ data: SegmentTrend[] }>('/v1/insights/segments', { query: { days: 30 }, signal }), (r) => segmentTable(r.data), slots.segments),
  ]);
}

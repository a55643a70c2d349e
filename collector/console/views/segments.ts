import { api, ConsoleError, request } from '../api';
import { field, h, mount } from '../dom';
import { fileSafe, formatCount, formatDate } from '../format';
import type { ViewContext } from '../main';
import { ruleBuilder } from '../rules/builder';
import { describe, fromCondition, newEvent, newGroup, toCondition } from '../rules/model';
import type { Destination, EventInsights, Member, Preview, Segment } from '../types';
import { cursorPager, download, empty, inlineError, section, showError } from '../ui';
import { destinationsPanel } from './destinations';

const PREVIEW_DELAY_MS = 350;

/** Segments: every segment with its size and rule, then the webhook destinations. */
export async function segmentsView(ctx: ViewContext): Promise<void> {
  const { data } = await api<{ data: Segment[] }>('/v1/segments', { signal: ctx.signal });
  mount(
    ctx.main,
    h('div', { class: 'title-row' }, h('h1', null, 'Segments'), ctx.admin ? h('a', { class: 'button primary', href: '/console/segments/new' }, 'New segment') : null),
    section(
      'All segments',
      data.length === 0
        ? empty('No segments yet.')
        : h(
            'div',
            { class: 'scroll' },
            h(
              'table',
              null,
              h('thead', null, h('tr', null, h('th', { scope: 'col' }, 'Segment'), h('th', { scope: 'col', class: 'num' }, 'Size'), h('th', { scope: 'col' }, 'Rule'))),
              h(
                'tbody',
                null,
                data.map((s) =>
                  h(
                    'tr',
                    null,
                    h('td', null, h('a', { href: `/console/segments/${encodeURIComponent(s.key)}` }, s.name), h('div', { class: 'muted small' }, s.key)),
                    h('td', { class: 'num' }, formatCount(s.size)),
                    h('td', { class: 'small' }, describe(fromCondition(s.condition))),
                  ),
                ),
              ),
            ),
          ),
    ),
    await destinationsPanel(ctx, data.map((s) => s.key)),
  );
}

function previewPanel() {
  const count = h('p', { class: 'preview-count', role: 'status', 'aria-live': 'polite' }, 'Add a rule to see who matches.');
  const sample = h('ul', { class: 'sample' });
  return {
    el: h('aside', { class: 'card preview', 'aria-label': 'Live preview' }, h('h2', null, 'Live preview'), count, sample),
    pending: () => count.classList.add('stale'),
    show: (p: Preview) => {
      count.classList.remove('stale');
      count.replaceChildren(h('strong', { 'data-testid': 'preview-size' }, formatCount(p.size)), p.size === 1 ? ' profile matches' : ' profiles match');
      sample.replaceChildren(
        ...p.sample.map((s) => {
          const t = s.traits as Record<string, unknown>;
          const label = String(t.email ?? t.name ?? s.id);
          return h('li', null, h('a', { href: `/console/profiles/${encodeURIComponent(s.id)}` }, label), h('span', { class: 'muted small' }, ` ${formatCount(s.eventCount)} events`));
        }),
      );
    },
    message: (text: string) => {
      count.classList.remove('stale');
      count.textContent = text;
      sample.replaceChildren();
    },
  };
}

/** New or edit: name, key, the rule builder and a live preview count with a sample. */
export async function segmentEditView(ctx: ViewContext): Promise<void> {
  const editing = ctx.params[0];
  // Suggestions only: the builder still works (free text) when they fail.
  const [segments, events, traits, existing] = await Promise.all([
    api<{ data: Segment[] }>('/v1/segments', { signal: ctx.signal }),
    api<EventInsights>('/v1/insights/events', { query: { days: 90, top: 100 }, signal: ctx.signal }).catch(() => null),
    api<{ data: { name: string }[] }>('/v1/insights/traits', { signal: ctx.signal }).catch(() => null),
    editing ? api<Segment>(`/v1/segments/${encodeURIComponent(editing)}`, { signal: ctx.signal }) : Promise.resolve(null),
  ]);
  const root = existing ? fromCondition(existing.condition) : newGroup('and', [newEvent()]);
  const name = h('input', { name: 'name', required: true, value: existing?.name ?? '', placeholder: 'Cart abandoners', maxlength: 200 });
  const key = h('input', { name: 'key', required: true, value: existing?.key ?? '', placeholder: 'cart_abandoners', pattern: '[a-z0-9_\\-]+', disabled: !!existing });
  let keyTouched = !!existing;
  key.addEventListener('input', () => (keyTouched = true));
  name.addEventListener('input', () => {
    if (!keyTouched) key.value = name.value.toLowerCase().trim().replace(/[^a-z0-9]+/g, '_').replace(/^_+|_+$/g, '').slice(0, 64);
  });

  const preview = previewPanel();
  let timer: ReturnType<typeof setTimeout> | undefined;
  let seq = 0;
  const runPreview = async () => {
    const { condition, problems } = toCondition(root);
    builder.setProblems(problems);
    if (problems.length) return preview.message('Finish the highlighted rules to see who matches.');
    const mine = ++seq;
    preview.pending();
    try {
      const result = await api<Preview>('/v1/segments/preview', { method: 'POST', json: { condition, sampleSize: 5 }, signal: ctx.signal });
      if (mine === seq) preview.show(result);
    } catch (err) {
      if (mine !== seq || ctx.signal.aborted) return;
      preview.message(err instanceof ConsoleError ? `The rule was refused: ${err.message}${err.field ? ` (at ${err.field})` : ''}` : String(err));
    }
  };
  const schedule = () => {
    clearTimeout(timer);
    preview.pending();
    timer = setTimeout(() => void runPreview(), PREVIEW_DELAY_MS);
  };
  ctx.signal.addEventListener('abort', () => clearTimeout(timer));

  const builder = ruleBuilder(root, {
    segments: segments.data.map((s) => s.key).filter((k) => k !== editing),
    events: events?.byEvent.map((e) => e.event) ?? [],
    traits: traits?.data.map((t) => t.name) ?? [],
    onChange: schedule,
  });
  const status = h('p', { class: 'error', role: 'alert', hidden: true });
  const save = h('button', { type: 'submit', class: 'primary', disabled: !ctx.admin }, existing ? 'Save changes' : 'Save segment');
  const form = h(
    'form',
    {
      class: 'segment-form',
      onSubmit: async (e: Event) => {
        e.preventDefault();
        status.hidden = true;
        const { condition, problems } = toCondition(root);
        builder.setProblems(problems);
        if (problems.length) {
          status.textContent = `Fix the rules first: ${problems[0]!.message}.`;
          status.hidden = false;
          return;
        }
        save.disabled = true;
        try {
          const saved = existing
            ? await api<Segment>(`/v1/segments/${encodeURIComponent(existing.key)}`, { method: 'PUT', json: { name: name.value, condition } })
            : await api<Segment>('/v1/segments', { method: 'POST', json: { key: key.value, name: name.value, condition } });
          ctx.navigate(`/console/segments/${encodeURIComponent(saved.key)}`);
        } catch (err) {
          status.textContent = err instanceof ConsoleError ? `Not saved: ${err.message}${err.field ? ` (${err.field})` : ''}` : String(err);
          status.hidden = false;
          save.disabled = false;
        }
      },
    },
    h('div', { class: 'grid-2 tight' }, field('Name', name), field('Key', key, existing ? 'The key cannot change.' : 'Lower case letters, digits, _ and -; used in the API and webhooks.')),
    h('h2', null, 'Who is in it'),
    builder.el,
    status,
    h('div', { class: 'actions' }, save, h('a', { class: 'button', href: existing ? `/console/segments/${encodeURIComponent(existing.key)}` : '/console/segments' }, 'Cancel')),
    ctx.admin ? null : h('p', { class: 'muted' }, 'Your key is read only: you can preview but not save.'),
  );
  mount(ctx.main, h('h1', null, existing ? `Edit ${existing.name}` : 'New segment'), h('div', { class: 'editor' }, form, preview.el));
  void runPreview();
}

function membersTable(key: string, signal: AbortSignal) {
  const body = h('tbody');
  const { state, more } = cursorPager<Member>({
    path: `/v1/segments/${encodeURIComponent(key)}/members`,
    limit: 50,
    signal,
    list: body,
    moreLabel: 'More members',
    emptyText: 'No members right now.',
    render: (m) => {
      const main = m.identities.find((i) => i.type === 'email') ?? m.identities.find((i) => i.type === 'user_id') ?? m.identities[0];
      return h(
        'tr',
        null,
        h('td', null, h('a', { href: `/console/profiles/${encodeURIComponent(m.profileId)}` }, main ? main.value : m.profileId)),
        h('td', { class: 'small' }, m.identities.filter((i) => i !== main).map((i) => `${i.type}: ${i.value}`).join(', ')),
        h('td', { class: 'small' }, formatDate(m.enteredAt)),
      );
    },
  });
  return h(
    'div',
    null,
    state,
    h(
      'div',
      { class: 'scroll' },
      h('table', { class: 'members' }, h('thead', null, h('tr', null, h('th', { scope: 'col' }, 'Person'), h('th', { scope: 'col' }, 'Other identifiers'), h('th', { scope: 'col' }, 'Entered'))), body),
    ),
    more,
  );
}

/** One segment: its rule, size, members (paged, CSV) and the destinations that receive it. */
export async function segmentView(ctx: ViewContext): Promise<void> {
  const key = ctx.params[0]!;
  const segment = await api<Segment>(`/v1/segments/${encodeURIComponent(key)}`, { signal: ctx.signal });
  const csv = h('button', { type: 'button' }, 'Download CSV');
  csv.addEventListener('click', async () => {
    csv.disabled = true;
    try {
      const res = await request(`/v1/segments/${encodeURIComponent(key)}/members`, { query: { format: 'csv' } });
      download(await res.blob(), `${fileSafe(key)}-members.csv`);
    } catch (err) {
      showError(err);
    } finally {
      csv.disabled = false;
    }
  });
  const destinations = h('div', null, h('p', { class: 'muted' }, 'Loading…'));
  mount(
    ctx.main,
    h('p', null, h('a', { href: '/console/segments' }, '← All segments')),
    h('div', { class: 'title-row' }, h('h1', null, segment.name), ctx.admin ? h('a', { class: 'button', href: `/console/segments/${encodeURIComponent(key)}/edit` }, 'Edit rule') : null),
    h(
      'div',
      { class: 'stats' },
      h('div', { class: 'stats-inner' }, h('div', { class: 'stat' }, h('div', { class: 'stat-value', 'data-testid': 'segment-size' }, formatCount(segment.size)), h('div', { class: 'stat-label' }, 'members now'))),
    ),
    section('Rule', h('p', null, describe(fromCondition(segment.condition))), h('details', null, h('summary', null, 'JSON'), h('pre', { class: 'mono small' }, JSON.stringify(segment.condition, null, 2)))),
    section('Members', h('div', { class: 'actions' }, csv), membersTable(key, ctx.signal)),
    section('Destinations receiving this segment', destinations),
  );
  try {
    const { data } = await api<{ data: Destination[] }>('/v1/destinations', { signal: ctx.signal });
    // Event destinations have no segments field: they never receive segment changes.
    const mine = data.filter((d) => d.segments !== undefined && (d.segments === null || d.segments.includes(key)));
    destinations.replaceChildren(
      mine.length
        ? h('ul', null, mine.map((d) => h('li', null, h('span', { class: 'mono' }, d.url), h('span', { class: 'muted small' }, ` ${d.kind === 'whatsapp' ? 'WhatsApp · ' : ''}${(d.events ?? []).join(', ')}`))))
        : empty('No destination receives this segment.'),
    );
  } catch (err) {
    destinations.replaceChildren(inlineError(err));
  }
}


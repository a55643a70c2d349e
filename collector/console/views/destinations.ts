import { api } from '../api';
import { field, h } from '../dom';
import { formatDate } from '../format';
import type { ViewContext } from '../main';
import type { Delivery, Destination, Page } from '../types';
import { empty, inlineError, section } from '../ui';

const STATUS_WORDS: Record<Delivery['status'], string> = { pending: 'pending', delivered: 'delivered', dead: 'failed (dead letter)' };

function deliveries(d: Destination, signal: AbortSignal) {
  const box = h('div', { class: 'small' }, 'Loading deliveries…');
  void (async () => {
    try {
      const page = await api<Page<Delivery>>(`/v1/destinations/${encodeURIComponent(d.id)}/deliveries`, { query: { limit: 10 }, signal });
      const counts = page.data.reduce<Record<string, number>>((acc, x) => ((acc[x.status] = (acc[x.status] ?? 0) + 1), acc), {});
      box.replaceChildren(
        page.data.length === 0
          ? empty('No deliveries yet.')
          : h(
              'div',
              null,
              h('p', null, `Last ${page.data.length}: `, Object.entries(counts).map(([s, n]) => h('span', { class: `status s-${s}` }, `${n} ${STATUS_WORDS[s as Delivery['status']]}`))),
              h(
                'div',
                { class: 'scroll' },
                h(
                  'table',
                  null,
                  h('thead', null, h('tr', null, ['Change', 'Segment', 'Status', 'Attempts', 'Last answer', 'When'].map((t) => h('th', { scope: 'col' }, t)))),
                  h(
                    'tbody',
                    null,
                    page.data.map((x) =>
                      h(
                        'tr',
                        null,
                        h('td', null, x.event),
                        h('td', null, x.segmentKey),
                        h('td', null, h('span', { class: `status s-${x.status}` }, STATUS_WORDS[x.status])),
                        h('td', { class: 'num' }, String(x.attempts)),
                        h('td', null, x.lastResponseStatus ? `HTTP ${x.lastResponseStatus}` : x.lastError ?? '—'),
                        h('td', null, formatDate(x.deliveredAt ?? x.createdAt)),
                      ),
                    ),
                  ),
                ),
              ),
            ),
      );
    } catch (err) {
      box.replaceChildren(inlineError(err));
    }
  })();
  return box;
}

function addForm(ctx: ViewContext, segmentKeys: readonly string[], onAdded: () => void) {
  const url = h('input', { type: 'url', required: true, placeholder: 'https://example.com/hooks/satu' });
  const secret = h('input', { type: 'text', required: true, minlength: 16, autocomplete: 'off', value: [...crypto.getRandomValues(new Uint8Array(18))].map((b) => b.toString(16).padStart(2, '0')).join('') });
  const which = h('input', { type: 'text', placeholder: 'all segments', list: 'dest-segments' });
  const status = h('p', { role: 'status', class: 'small' });
  return h(
    'form',
    {
      class: 'dest-form',
      onSubmit: async (e: Event) => {
        e.preventDefault();
        const keys = which.value.split(',').map((k) => k.trim()).filter(Boolean);
        try {
          await api('/v1/destinations', { method: 'POST', json: { url: url.value, secret: secret.value, ...(keys.length ? { segments: keys } : {}), events: ['segment.entered', 'segment.exited'] } });
          status.textContent = `Added. Keep the signing secret: ${secret.value}`;
          onAdded();
        } catch (err) {
          status.replaceChildren(inlineError(err));
        }
      },
    },
    h('h3', null, 'Add a webhook'),
    field('URL', url),
    field('Signing secret', secret, 'At least 16 characters; used to sign each delivery (HMAC-SHA256).'),
    field('Segments', which, 'Comma separated keys; empty for every segment.'),
    h('datalist', { id: 'dest-segments' }, segmentKeys.map((k) => h('option', { value: k }))),
    h('button', { type: 'submit' }, 'Add webhook'),
    status,
  );
}

/** Webhook destinations with the status of their latest deliveries. */
export async function destinationsPanel(ctx: ViewContext, segmentKeys: readonly string[]): Promise<HTMLElement> {
  const list = h('div');
  const load = async () => {
    try {
      const { data } = await api<{ data: Destination[] }>('/v1/destinations', { signal: ctx.signal });
      list.replaceChildren(
        data.length === 0
          ? empty('No webhooks yet: segment entries and exits are not sent anywhere.')
          : h(
              'ul',
              { class: 'destinations' },
              data.map((d) =>
                h(
                  'li',
                  null,
                  h('div', null, h('strong', { class: 'mono' }, d.url)),
                  h('div', { class: 'muted small' }, `${d.segments ? d.segments.join(', ') : 'every segment'} · ${d.events.join(', ')} · secret ${d.secret}`),
                  deliveries(d, ctx.signal),
                ),
              ),
            ),
      );
    } catch (err) {
      list.replaceChildren(inlineError(err));
    }
  };
  await load();
  return section('Webhook destinations', list, ctx.admin ? addForm(ctx, segmentKeys, () => void load()) : null);
}

import { api } from '../api';
import { field, h, select } from '../dom';
import { formatDate } from '../format';
import type { ViewContext } from '../main';
import type { Delivery, DeliveryStatus, Destination, DestinationKind, Page } from '../types';
import { empty, inlineError, section } from '../ui';

const STATUS_WORDS: Record<DeliveryStatus, string> = { pending: 'pending', delivered: 'delivered', dead: 'failed (dead letter)', skipped: 'skipped' };

const KIND_WORDS: Record<DestinationKind, string> = {
  segments: 'Segment webhook',
  webhook: 'Event webhook',
  ga4: 'Google Analytics 4',
  mixpanel: 'Mixpanel',
  meta: 'Meta Conversions API',
  whatsapp: 'WhatsApp',
};

const segmentTriggered = (d: Destination) => d.kind === 'segments' || d.kind === 'whatsapp';

/** One line about what the destination gets. */
function describe(d: Destination): string {
  const parts: string[] = [];
  if (segmentTriggered(d)) parts.push(d.segments ? d.segments.join(', ') : 'every segment', (d.events ?? []).join(', '));
  else parts.push(d.filter?.types ? d.filter.types.join(', ') : 'every event', ...(d.filter?.events ? [`only ${d.filter.events.join(', ')}`] : []));
  if (d.consentCategory) parts.push(`consent: ${d.consentCategory}`);
  if (d.secret) parts.push(`secret ${d.secret}`);
  for (const [k, v] of Object.entries(d.config ?? {})) parts.push(`${k} ${v}`);
  return parts.join(' · ');
}

/** Health from the delivery counts: failing when anything is dead, waiting when retries are pending. */
function health(d: Destination) {
  const hh = d.health;
  if (!hh) return null;
  const words = (['delivered', 'pending', 'dead', 'skipped'] as const).filter((s) => hh[s] > 0).map((s) => h('span', { class: `status s-${s}` }, `${hh[s]} ${STATUS_WORDS[s]}`));
  const state = hh.dead > 0 ? 'failing' : hh.pending > 0 ? 'retrying or queued' : hh.delivered > 0 ? 'healthy' : 'no deliveries yet';
  return h('p', { class: 'small' }, `Health: ${state}. `, words, hh.lastAttemptAt ? ` Last attempt ${formatDate(hh.lastAttemptAt)}.` : '');
}

function deliveries(d: Destination, signal: AbortSignal) {
  const box = h('div', { class: 'small' }, 'Loading deliveries…');
  const forEvents = !segmentTriggered(d);
  void (async () => {
    try {
      const page = await api<Page<Delivery>>(`/v1/destinations/${encodeURIComponent(d.id)}/deliveries`, { query: { limit: 10 }, signal });
      const heads = forEvents ? ['Event', 'Status', 'Attempts', 'Last answer', 'When'] : ['Change', 'Segment', 'Status', 'Attempts', 'Last answer', 'When'];
      box.replaceChildren(
        page.data.length === 0
          ? empty('No deliveries yet.')
          : h(
              'div',
              { class: 'scroll' },
              h(
                'table',
                null,
                h('caption', { class: 'muted' }, `Latest ${page.data.length} deliveries`),
                h('thead', null, h('tr', null, heads.map((t) => h('th', { scope: 'col' }, t)))),
                h(
                  'tbody',
                  null,
                  page.data.map((x) =>
                    h(
                      'tr',
                      null,
                      forEvents ? h('td', { class: 'mono' }, x.messageId ?? '') : [h('td', null, x.event ?? ''), h('td', null, x.segmentKey ?? '')],
                      h('td', null, h('span', { class: `status s-${x.status}` }, STATUS_WORDS[x.status])),
                      h('td', { class: 'num' }, String(x.attempts)),
                      h('td', null, x.lastError ?? (x.lastResponseStatus ? `HTTP ${x.lastResponseStatus}` : '—')),
                      h('td', null, formatDate(x.deliveredAt ?? x.createdAt)),
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

/** Example configs per vendor kind, shown in the form's config box. */
const CONFIG_EXAMPLES: Partial<Record<DestinationKind, string>> = {
  ga4: '{"measurementId": "G-XXXXXXXXXX", "apiSecret": ""}',
  mixpanel: '{"projectToken": "", "apiSecret": ""}',
  meta: '{"pixelId": "", "accessToken": ""}',
  whatsapp: '{"phoneNumberId": "", "accessToken": "", "template": "", "language": "en_US"}',
};

function addForm(segmentKeys: readonly string[], onAdded: () => void) {
  const kind = select(Object.entries(KIND_WORDS), 'segments');
  const url = h('input', { type: 'url', placeholder: 'https://example.com/hooks/satu' });
  const secret = h('input', { type: 'text', minlength: 16, autocomplete: 'off', value: [...crypto.getRandomValues(new Uint8Array(18))].map((b) => b.toString(16).padStart(2, '0')).join('') });
  const which = h('input', { type: 'text', placeholder: 'all segments', list: 'dest-segments' });
  const config = h('textarea', { rows: 3, class: 'mono', spellcheck: false });
  const eventNames = h('input', { type: 'text', placeholder: 'every event' });
  const consent = h('input', { type: 'text', placeholder: 'none' });
  const status = h('p', { role: 'status', class: 'small' });
  const urlField = field('URL', url);
  const secretField = field('Signing secret', secret, 'At least 16 characters; used to sign each delivery (HMAC-SHA256).');
  const segmentsField = field('Segments', which, 'Comma separated keys; empty for every segment (required for WhatsApp).');
  const configField = field('Config (JSON)', config, 'Secrets are write-only: they are shown masked afterwards. "endpoint" replaces the API origin.');
  const eventsField = field('Only these track events', eventNames, 'Comma separated event names; empty for every event.');
  // Show the fields of the chosen kind only.
  const sync = () => {
    const k = kind.value as DestinationKind;
    urlField.hidden = secretField.hidden = !(k === 'segments' || k === 'webhook');
    segmentsField.hidden = !(k === 'segments' || k === 'whatsapp');
    configField.hidden = !CONFIG_EXAMPLES[k];
    eventsField.hidden = k === 'segments' || k === 'whatsapp';
    config.value = CONFIG_EXAMPLES[k] ?? '';
  };
  kind.addEventListener('change', sync);
  sync();
  const list = (text: string) => text.split(',').map((k) => k.trim()).filter(Boolean);
  return h(
    'form',
    {
      class: 'dest-form',
      onSubmit: async (e: Event) => {
        e.preventDefault();
        const k = kind.value as DestinationKind;
        try {
          const body: Record<string, unknown> = { kind: k };
          if (k === 'segments' || k === 'webhook') Object.assign(body, { url: url.value, secret: secret.value });
          if ((k === 'segments' || k === 'whatsapp') && list(which.value).length) body.segments = list(which.value);
          if (CONFIG_EXAMPLES[k]) body.config = JSON.parse(config.value);
          if (!eventsField.hidden && list(eventNames.value).length) body.filter = { events: list(eventNames.value) };
          if (consent.value.trim()) body.consentCategory = consent.value.trim();
          await api('/v1/destinations', { method: 'POST', json: body });
          status.textContent = k === 'segments' || k === 'webhook' ? `Added. Keep the signing secret: ${secret.value}` : 'Added.';
          onAdded();
        } catch (err) {
          status.replaceChildren(inlineError(err));
        }
      },
    },
    h('h3', null, 'Add a destination'),
    field('Kind', kind),
    urlField,
    secretField,
    segmentsField,
    configField,
    eventsField,
    field('Consent category', consent, 'Only events (or people, for segment kinds) that grant it, e.g. Marketing.'),
    h('datalist', { id: 'dest-segments' }, segmentKeys.map((k) => h('option', { value: k }))),
    h('button', { type: 'submit' }, 'Add destination'),
    status,
  );
}

/** Destinations with their kind, health and latest deliveries. */
export async function destinationsPanel(ctx: ViewContext, segmentKeys: readonly string[]): Promise<HTMLElement> {
  const list = h('div');
  const load = async () => {
    try {
      const { data } = await api<{ data: Destination[] }>('/v1/destinations', { signal: ctx.signal });
      list.replaceChildren(
        data.length === 0
          ? empty('No destinations yet: events and segment changes are not sent anywhere.')
          : h(
              'ul',
              { class: 'destinations' },
              data.map((d) =>
                h(
                  'li',
                  null,
                  h('div', null, h('span', { class: 'status' }, KIND_WORDS[d.kind] ?? d.kind), h('strong', { class: 'mono' }, d.url)),
                  h('div', { class: 'muted small' }, describe(d)),
                  health(d),
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
  return section('Destinations', list, ctx.admin ? addForm(segmentKeys, () => void load()) : null);
}

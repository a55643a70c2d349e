import { api, refPath, request } from '../api';
import { field, h, mount, select } from '../dom';
import { formatDate, formatValue, messageLabel } from '../format';
import type { ViewContext } from '../main';
import type { Predictions, Profile, TimelineEvent } from '../types';
import { cursorPager, download, empty, inlineError, kvTable, section, showError } from '../ui';

const LOOKUP_TYPES = [
  ['email', 'Email'],
  ['user_id', 'User id'],
  ['phone', 'Phone'],
  ['anonymous_id', 'Anonymous id'],
  ['id', 'Profile id'],
] as const;

/** The reference `/v1/profiles/{ref}` takes for a search: `type:value`, or a bare profile id. */
export const profileRef = (type: string, value: string) => (type === 'id' ? value.trim() : `${type}:${value.trim()}`);

function searchForm(ctx: ViewContext, initial = { type: 'email', value: '' }) {
  const type = select(LOOKUP_TYPES, initial.type, { name: 'type' });
  const value = h('input', { name: 'value', type: 'search', required: true, value: initial.value, autocomplete: 'off', placeholder: 'ana@example.com' });
  type.addEventListener('change', () => {
    value.placeholder = { email: 'ana@example.com', user_id: '42', phone: '+62 812 3456 7890', anonymous_id: '3f1c…', id: 'prof_…' }[type.value] ?? '';
  });
  return h(
    'form',
    {
      class: 'search',
      role: 'search',
      onSubmit: (e: Event) => {
        e.preventDefault();
        if (value.value.trim()) ctx.navigate(`/console/profiles/${refPath(profileRef(type.value, value.value))}`);
      },
    },
    field('Find by', type),
    field('Value', value),
    h('button', { type: 'submit', class: 'primary' }, 'Find'),
  );
}

/** Profiles: the search form. */
export function profilesView(ctx: ViewContext): void {
  mount(
    ctx.main,
    h('h1', null, 'Profiles'),
    section('Find a person', h('p', { class: 'muted' }, 'Look a person up by any of their identifiers. Emails and phone numbers are matched the way they were stored (lower case, international format).'), searchForm(ctx)),
  );
  (ctx.main.querySelector('input[name=value]') as HTMLInputElement).focus();
}

function timeline(ref: string, signal: AbortSignal) {
  const list = h('ol', { class: 'timeline' });
  const { state, more } = cursorPager<TimelineEvent>({
    path: `/v1/profiles/${refPath(ref)}/events`,
    limit: 25,
    signal,
    list,
    moreLabel: 'Load older events',
    emptyText: 'No events.',
    render: (e) =>
      h(
        'li',
        null,
        h('div', { class: 'tl-head' }, h('span', { class: `badge t-${e.type}` }, e.type), h('strong', null, messageLabel(e)), h('time', { class: 'muted small', datetime: e.timestamp }, formatDate(e.timestamp))),
        e.properties && Object.keys(e.properties).length ? h('div', { class: 'small mono' }, formatValue(e.properties, 200)) : null,
        e.traits && Object.keys(e.traits).length ? h('div', { class: 'small mono' }, `traits ${formatValue(e.traits, 200)}`) : null,
      ),
  });
  return h('div', null, state, list, more);
}

/** Export (read scope) and delete with a confirmation (admin scope), as the privacy API allows. */
function personActions(ctx: ViewContext, profile: Profile, ref: string) {
  const exportButton = h('button', { type: 'button' }, 'Export JSON');
  exportButton.addEventListener('click', async () => {
    exportButton.disabled = true;
    try {
      const res = await request(`/v1/profiles/${refPath(profile.id)}/export`);
      download(await res.blob(), `profile-${profile.id}.json`);
    } catch (err) {
      showError(err);
    } finally {
      exportButton.disabled = false;
    }
  });
  const confirmBox = h('div', { class: 'confirm', hidden: true, role: 'group', 'aria-label': 'Confirm deletion' });
  const deleteButton = h('button', { type: 'button', class: 'danger' }, 'Delete…');
  const suppress = h('input', { type: 'checkbox', id: 'suppress' });
  const reallyDelete = h('button', { type: 'button', class: 'danger' }, 'Delete permanently');
  const cancel = h('button', { type: 'button' }, 'Cancel');
  confirmBox.append(
    h('p', null, h('strong', null, `Delete ${ref}?`), ' This erases the profile, its identities, traits, segment memberships and every event. It cannot be undone.'),
    h('div', { class: 'check' }, suppress, h('label', { for: 'suppress' }, 'Also keep their identifiers out from now on (suppress future events)')),
    h('div', { class: 'actions' }, reallyDelete, cancel),
  );
  deleteButton.addEventListener('click', () => {
    confirmBox.hidden = false;
    cancel.focus();
  });
  cancel.addEventListener('click', () => {
    confirmBox.hidden = true;
    deleteButton.focus();
  });
  reallyDelete.addEventListener('click', async () => {
    reallyDelete.disabled = true;
    try {
      await request(`/v1/profiles/${refPath(profile.id)}`, { method: 'DELETE', query: { suppress: suppress.checked ? 'true' : undefined } });
      mount(ctx.main, h('h1', null, 'Profile deleted'), h('p', { role: 'status' }, `${ref} and all their data were deleted.`), h('a', { href: '/console/profiles' }, 'Find another person'));
    } catch (err) {
      showError(err);
      reallyDelete.disabled = false;
    }
  });
  return h('div', { class: 'actions' }, exportButton, ctx.admin ? [deleteButton, confirmBox] : null);
}

const COMPUTED_DATES = new Set(['firstSeen', 'lastSeen']);

const share = (x: number) => `${Math.round(x * 1000) / 10}%`;
const orders = (x: number | null) => (x === null ? 'unknown' : x.toFixed(2));
const money = (x: number | null) => (x === null ? 'unknown' : x.toLocaleString(undefined, { maximumFractionDigits: 2 }));

/** Predictions and RFM in words a marketer reads; absent before the first order (or the first fit). */
function predictionsSection(p: Predictions | undefined, rfm: Profile['rfm']) {
  if (!p) return section('Predictions', empty('No orders yet, or no model fitted: see Predictions.'));
  return section(
    'Predictions',
    kvTable(
      {
        'still a customer (P alive)': share(p.pAlive),
        'churn risk': share(p.churnRisk),
        'expected orders, next 30 / 90 / 365 days': `${orders(p.expectedOrders30d)} / ${orders(p.expectedOrders90d)} / ${orders(p.expectedOrders365d)}`,
        'expected order value': money(p.expectedOrderValue),
        'value, next 365 days': money(p.ltv365d),
        'value percentile': p.ltvPercentile === null ? 'unknown' : `${p.ltvPercentile}`,
        ...(rfm ? { 'RFM score (recency, frequency, monetary; 5 is best)': rfm.score } : {}),
      },
      String,
      'Predictions',
    ),
  );
}
const formatComputed = (v: unknown) => (typeof v === 'number' ? v.toLocaleString() : formatValue(v));

/** One person: identities, traits, computed traits, consent, accounts, segments, timeline. */
export async function profileView(ctx: ViewContext): Promise<void> {
  const ref = ctx.params[0]!;
  const colon = ref.indexOf(':');
  const initial = colon > 0 ? { type: ref.slice(0, colon), value: ref.slice(colon + 1) } : { type: 'id', value: ref };
  let profile: Profile;
  try {
    profile = await api<Profile>(`/v1/profiles/${refPath(ref)}`, { signal: ctx.signal });
  } catch (err) {
    mount(ctx.main, h('h1', null, 'Profiles'), section('Find a person', searchForm(ctx, initial)), inlineError(err));
    return;
  }
  const best = profile.identities.find((i) => i.type === 'email') ?? profile.identities.find((i) => i.type === 'user_id') ?? profile.identities[0];
  const segments = h('div', null, h('p', { class: 'muted' }, 'Loading…'));
  const computed = Object.fromEntries(
    Object.entries(profile.computed).map(([k, v]) => [k, COMPUTED_DATES.has(k) && typeof v === 'string' ? formatDate(v) : v]),
  );
  mount(
    ctx.main,
    h('p', null, h('a', { href: '/console/profiles' }, '← Find another person')),
    h('h1', null, best ? best.value : profile.id, h('span', { class: 'muted small id' }, profile.id)),
    personActions(ctx, profile, best ? `${best.type}:${best.value}` : profile.id),
    h(
      'div',
      { class: 'grid-2' },
      section('Identities', h('ul', { class: 'chips' }, profile.identities.map((i) => h('li', null, h('span', { class: 'muted' }, `${i.type} `), i.value)))),
      section('Segments', segments),
      section('Traits', kvTable(profile.traits, (v) => formatValue(v), 'Traits')),
      section('Computed traits', kvTable(computed, formatComputed, 'Computed traits')),
      predictionsSection(profile.predictions, profile.rfm),
      section('Your computed traits', profile.computedTraits && Object.keys(profile.computedTraits).length ? kvTable(profile.computedTraits, formatComputed, 'Your computed traits') : empty('None defined: see Predictions.')),
      section(
        'Consent',
        kvTable(Object.fromEntries(Object.entries(profile.consent ?? {}).map(([k, v]) => [k, `${v.granted ? 'granted' : 'not granted'}${v.updatedAt ? `, ${formatDate(v.updatedAt)}` : ''}`])), String, 'Consent'),
      ),
      section(
        'Accounts',
        profile.accounts.length
          ? h('ul', null, profile.accounts.map((a) => h('li', null, h('strong', null, a.groupId), ' ', h('span', { class: 'muted small' }, formatValue(a.traits)))))
          : empty('No accounts.'),
      ),
    ),
    section('Timeline', timeline(profile.id, ctx.signal)),
  );
  try {
    const res = await api<{ data: { key: string; enteredAt: string }[] }>(`/v1/profiles/${refPath(profile.id)}/segments`, { signal: ctx.signal });
    segments.replaceChildren(
      res.data.length
        ? h('ul', { class: 'chips' }, res.data.map((s) => h('li', null, h('a', { href: `/console/segments/${encodeURIComponent(s.key)}` }, s.key), h('span', { class: 'muted small' }, ` since ${formatDate(s.enteredAt)}`))))
        : empty('Not in any segment.'),
    );
  } catch (err) {
    segments.replaceChildren(inlineError(err));
  }
}

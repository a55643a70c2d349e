import { api, request } from '../api';
import { barsWithLine } from '../chart';
import { h, mount } from '../dom';
import { formatCount, formatDate } from '../format';
import type { ViewContext } from '../main';
import type { ComputedTrait, PredictionModel } from '../types';
import { empty, inlineError, kvTable, section, showError } from '../ui';

const num = (v: number, digits = 3) => (Number.isFinite(v) ? v.toPrecision(digits) : '–');

/** The predictive model: parameters, a fit button (admin), expected against actual repeat orders per week; then the computed traits. */
export async function predictionsView(ctx: ViewContext): Promise<void> {
  const modelSlot = h('div', null, h('p', { class: 'muted' }, 'Loading…'));
  const traitsSlot = h('div', null, h('p', { class: 'muted' }, 'Loading…'));
  const fitButton = h('button', { type: 'button', class: 'primary' }, 'Fit now');
  fitButton.addEventListener('click', async () => {
    fitButton.disabled = true;
    try {
      await request('/v1/predictions/fit', { method: 'POST' });
      await showModel();
    } catch (err) {
      showError(err);
    } finally {
      fitButton.disabled = false;
    }
  });
  mount(
    ctx.main,
    h('h1', null, 'Predictions'),
    h(
      'p',
      { class: 'muted' },
      'Who is likely to buy again and what they are worth: the BG/NBD model (Fader, Hardie & Lee 2005) for repeat orders and Gamma-Gamma for order value, fitted on every person with an order. Refitted daily.',
    ),
    ctx.admin ? h('div', { class: 'actions' }, fitButton) : null,
    section('Model', modelSlot),
    section('Computed traits', traitsSlot),
  );

  async function showModel() {
    try {
      const model = await api<PredictionModel>('/v1/predictions/model', { signal: ctx.signal });
      const weekly = model.weekly ?? [];
      modelSlot.replaceChildren(
        kvTable(
          {
            'fitted at': formatDate(model.asOf),
            customers: formatCount(model.customers),
            'order event': model.orderEvent,
            'BG/NBD r, alpha (days)': `${num(model.bgnbd.r)}, ${num(model.bgnbd.alpha)}`,
            'BG/NBD a, b': `${num(model.bgnbd.a)}, ${num(model.bgnbd.b)}`,
            'log-likelihood': num(model.bgnbd.logLikelihood, 8),
            'Gamma-Gamma p, q, v': model.gammaGamma ? `${num(model.gammaGamma.p)}, ${num(model.gammaGamma.q)}, ${num(model.gammaGamma.v)}` : 'not enough repeat buyers',
          },
          String,
          'Model',
        ),
        h('h3', null, 'Repeat orders per week: actual (bars) and ', h('span', { class: 'legend-expected' }, 'expected by the model'), ' (line)'),
        weekly.length ? barsWithLine(weekly.map((w) => ({ label: w.weekStart.slice(0, 10), actual: w.actual, expected: w.expected })), 'Repeat orders per week') : empty('No weeks yet.'),
      );
    } catch (err) {
      modelSlot.replaceChildren(inlineError(err));
    }
  }

  async function showTraits() {
    try {
      const res = await api<{ data: ComputedTrait[] }>('/v1/computed-traits', { signal: ctx.signal });
      traitsSlot.replaceChildren(
        res.data.length
          ? h(
              'table',
              null,
              h('thead', null, h('tr', null, ['Key', 'Definition', 'People', 'Computed'].map((t) => h('th', { scope: 'col' }, t)))),
              h(
                'tbody',
                null,
                res.data.map((t) =>
                  h(
                    'tr',
                    null,
                    h('td', { class: 'mono' }, t.key),
                    h('td', null, `${t.aggregate}${t.property ? ` of ${t.property}` : ''} over "${t.event}"${t.windowDays ? `, last ${t.windowDays} days` : ''}`),
                    h('td', null, formatCount(t.profiles)),
                    h('td', null, t.computedAt ? formatDate(t.computedAt) : '–'),
                  ),
                ),
              ),
            )
          : empty('No computed traits. Define one with POST /v1/computed-traits.'),
      );
    } catch (err) {
      traitsSlot.replaceChildren(inlineError(err));
    }
  }

  await Promise.all([showModel(), showTraits()]);
}

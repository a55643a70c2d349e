/**
 * The visual rule builder: renders the editing tree of ./model as native form controls (so it
 * is keyboard-usable with Tab, arrows and Enter, and every control has a label), mutates the tree
 * in place on input and re-renders only on structural changes, keeping focus where it was.
 */
import { h, select } from '../dom';
import {
  COMPARE_OPS,
  COMPUTED_NAMES,
  KIND_LABELS,
  newEvent,
  newGroup,
  newSegmentRef,
  newTrait,
  OP_LABELS,
  removeAt,
  VALUE_KINDS,
  type Comparison,
  type EventNode,
  type GroupNode,
  type NodePath,
  type Problem,
  type RuleNode,
  type SegmentNode,
  type TraitNode,
} from './model';

export interface BuilderOptions {
  /** Keys of the segments a rule may reference (the edited one excluded). */
  segments: readonly string[];
  /** Known event names and trait names, offered as suggestions. */
  events: readonly string[];
  traits: readonly string[];
  /** Called after every edit (the page debounces its preview on this). */
  onChange: () => void;
}

const OP_OPTIONS = COMPARE_OPS.map((op) => [op, OP_LABELS[op]] as const);
const KIND_OPTIONS = VALUE_KINDS.filter((k) => k !== 'list').map((k) => [k, KIND_LABELS[k]] as const);

/** A control with a label screen readers announce but the compact row does not show. */
function labelled(text: string, control: HTMLElement & { id: string }) {
  return h('span', { class: 'ctl' }, h('label', { for: control.id, class: 'sr' }, text), control);
}

/**
 * Builds the rule editor for `root`; returns its element and a way to show problems per rule.
 * @example const b = ruleBuilder(fromCondition(saved), { segments, events, traits, onChange }); form.append(b.el);
 */
export function ruleBuilder(root: GroupNode, opts: BuilderOptions) {
  const el = h('div', { class: 'builder' });
  const problemSlots = new Map<string, HTMLElement>();
  let problems: Problem[] = [];
  const idOf = (path: NodePath, name: string) => `rb-${path.join('_') || 'root'}-${name}`;
  const lists = h(
    'div',
    { hidden: true },
    h('datalist', { id: 'rb-events' }, ['*', ...opts.events].map((e) => h('option', { value: e }))),
    h('datalist', { id: 'rb-traits' }, opts.traits.map((t) => h('option', { value: t }))),
    h('datalist', { id: 'rb-computed' }, COMPUTED_NAMES.map((t) => h('option', { value: t }))),
  );

  const changed = () => opts.onChange();
  const structural = () => {
    render();
    opts.onChange();
  };

  const input = (path: NodePath, name: string, value: string, onInput: (v: string) => void, props: Record<string, unknown> = {}) =>
    h('input', { id: idOf(path, name), value, ...props, onInput: (e: Event) => (onInput((e.target as HTMLInputElement).value), changed()) });
  const choose = (path: NodePath, name: string, options: readonly (readonly [string, string])[], value: string, onPick: (v: string) => void) =>
    select(options, value, { id: idOf(path, name), onChange: (e: Event) => (onPick((e.target as HTMLSelectElement).value), structural()) });

  const comparison = (path: NodePath, prefix: string, cmp: Comparison) => {
    const needsValue = cmp.op !== 'exists' && cmp.op !== 'notExists';
    return [
      labelled('Operator', choose(path, `${prefix}op`, OP_OPTIONS, cmp.op, (v) => (cmp.op = v as Comparison['op']))),
      needsValue && cmp.op !== 'in'
        ? labelled('Value type', choose(path, `${prefix}kind`, KIND_OPTIONS, cmp.kind === 'list' ? 'text' : cmp.kind, (v) => (cmp.kind = v as Comparison['kind'])))
        : null,
      needsValue
        ? labelled(
            cmp.op === 'in' ? 'Values, comma separated' : 'Value',
            cmp.kind === 'boolean' && cmp.op !== 'in'
              ? choose(path, `${prefix}value`, [['', '—'], ['true', 'true'], ['false', 'false']], cmp.value, (v) => (cmp.value = v))
              : input(path, `${prefix}value`, cmp.value, (v) => (cmp.value = v), {
                  inputmode: cmp.kind === 'number' || cmp.kind === 'daysAgo' ? 'decimal' : undefined,
                  placeholder: cmp.kind === 'daysAgo' ? 'days' : cmp.op === 'in' ? 'a, b, c' : 'value',
                  class: 'value',
                }),
          )
        : null,
    ];
  };

  const removeButton = (path: NodePath, what: string) =>
    h('button', { type: 'button', class: 'icon', id: idOf(path, 'remove'), 'aria-label': `Remove this ${what}`, title: `Remove this ${what}`, onClick: () => (removeAt(root, path), structural()) }, '✕');

  const problemSlot = (path: NodePath) => {
    const slot = h('ul', { class: 'problems', 'aria-live': 'polite' });
    problemSlots.set(path.join('_'), slot);
    return slot;
  };

  const traitRule = (node: TraitNode, path: NodePath) =>
    h(
      'div',
      { class: 'rule', 'data-path': path.join('_') },
      h(
        'div',
        { class: 'row' },
        labelled('Include or exclude', choose(path, 'not', [['', 'where'], ['not', 'where not']], node.negate ? 'not' : '', (v) => (node.negate = v === 'not'))),
        labelled('Source', choose(path, 'source', [['trait', 'trait'], ['computed', 'computed trait']], node.source, (v) => (node.source = v as TraitNode['source']))),
        labelled(node.source === 'trait' ? 'Trait name' : 'Computed trait name', input(path, 'name', node.name, (v) => (node.name = v), { list: node.source === 'trait' ? 'rb-traits' : 'rb-computed', placeholder: node.source === 'trait' ? 'plan' : 'revenue', class: 'name' })),
        comparison(path, '', node.cmp),
        removeButton(path, 'rule'),
      ),
      problemSlot(path),
    );

  const eventRule = (node: EventNode, path: NodePath) => {
    const w = node.window;
    return h(
      'div',
      { class: 'rule', 'data-path': path.join('_') },
      h(
        'div',
        { class: 'row' },
        labelled('Did or did not', choose(path, 'not', [['', 'did'], ['not', 'did not do']], node.negate ? 'not' : '', (v) => (node.negate = v === 'not'))),
        labelled('Event name', input(path, 'event', node.event, (v) => (node.event = v), { list: 'rb-events', placeholder: 'Order Completed', class: 'name' })),
        labelled('Count comparison', choose(path, 'countop', [['gte', 'at least'], ['lte', 'at most'], ['eq', 'exactly']], node.count.op, (v) => (node.count.op = v as EventNode['count']['op']))),
        labelled('Times', input(path, 'count', node.count.n, (v) => (node.count.n = v), { inputmode: 'numeric', class: 'num' })),
        h('span', { class: 'word' }, 'times'),
        labelled('Time window', choose(path, 'window', [['ever', 'ever'], ['days', 'in the last … days'], ['hours', 'in the last … hours'], ['between', 'between dates']], w.type, (v) => (w.type = v as EventNode['window']['type']))),
        w.type === 'days' || w.type === 'hours'
          ? labelled(`Number of ${w.type}`, input(path, 'amount', w.amount, (v) => (w.amount = v), { inputmode: 'numeric', class: 'num' }))
          : null,
        w.type === 'between'
          ? [
              labelled('From date', input(path, 'from', w.from, (v) => (w.from = v), { type: 'date' })),
              labelled('To date', input(path, 'to', w.to, (v) => (w.to = v), { type: 'date' })),
            ]
          : null,
        removeButton(path, 'rule'),
      ),
      node.where.map((row, i) =>
        h(
          'div',
          { class: 'row where' },
          h('span', { class: 'word' }, i === 0 ? 'where' : 'and'),
          labelled('Property', input(path, `p${i}property`, row.property, (v) => (row.property = v), { placeholder: 'category', class: 'name' })),
          comparison(path, `p${i}`, row),
          h('button', { type: 'button', class: 'icon', id: idOf(path, `p${i}remove`), 'aria-label': 'Remove this property filter', onClick: () => (node.where.splice(i, 1), structural()) }, '✕'),
        ),
      ),
      h('div', { class: 'row' }, h('button', { type: 'button', class: 'link', id: idOf(path, 'addwhere'), onClick: () => (node.where.push({ property: '', op: 'eq', kind: 'text', value: '' }), structural()) }, '+ property filter')),
      problemSlot(path),
    );
  };

  const segmentRule = (node: SegmentNode, path: NodePath) =>
    h(
      'div',
      { class: 'rule', 'data-path': path.join('_') },
      h(
        'div',
        { class: 'row' },
        labelled('In or not in', choose(path, 'not', [['', 'is in segment'], ['not', 'is not in segment']], node.negate ? 'not' : '', (v) => (node.negate = v === 'not'))),
        labelled('Segment', choose(path, 'key', [['', 'choose…'], ...opts.segments.map((k) => [k, k] as const)], node.key, (v) => (node.key = v))),
        removeButton(path, 'rule'),
      ),
      problemSlot(path),
    );

  const group = (node: GroupNode, path: NodePath): HTMLElement => {
    const add = (label: string, make: () => RuleNode, name: string) =>
      h('button', { type: 'button', id: idOf(path, `add${name}`), onClick: () => (node.children.push(make()), structural()) }, label);
    return h(
      'fieldset',
      { class: path.length ? 'group nested' : 'group', 'data-path': path.join('_') },
      h(
        'legend',
        null,
        labelled('Negate group', choose(path, 'not', [['', 'Match'], ['not', 'Exclude people matching']], node.negate ? 'not' : '', (v) => (node.negate = v === 'not'))),
        labelled('All or any', choose(path, 'op', [['and', 'ALL'], ['or', 'ANY']], node.op, (v) => (node.op = v as GroupNode['op']))),
        h('span', { class: 'word' }, 'of these rules'),
        path.length ? removeButton(path, 'group') : null,
      ),
      node.children.map((child, i) => {
        const p = [...path, i];
        if (child.kind === 'group') return group(child, p);
        if (child.kind === 'trait') return traitRule(child, p);
        if (child.kind === 'event') return eventRule(child, p);
        return segmentRule(child, p);
      }),
      h(
        'div',
        { class: 'adders', role: 'group', 'aria-label': 'Add a rule' },
        add('+ Trait', newTrait, 'trait'),
        add('+ Computed', () => ({ ...newTrait(), source: 'computed', name: 'eventCount', cmp: { op: 'gte', kind: 'number', value: '1' } }), 'computed'),
        add('+ Event', newEvent, 'event'),
        opts.segments.length ? add('+ Segment', newSegmentRef, 'segment') : null,
        add('+ Group', () => newGroup(node.op === 'and' ? 'or' : 'and'), 'group'),
      ),
      problemSlot(path),
    );
  };

  function showProblems() {
    for (const slot of problemSlots.values()) slot.replaceChildren();
    for (const p of problems) problemSlots.get(p.path.join('_'))?.append(h('li', null, p.message));
  }

  function render() {
    const focused = document.activeElement as HTMLInputElement | null;
    const focusId = focused && el.contains(focused) ? focused.id : '';
    const caret = focused && 'selectionStart' in focused ? focused.selectionStart : null;
    problemSlots.clear();
    el.replaceChildren(lists, group(root, []));
    showProblems();
    const again = focusId ? (document.getElementById(focusId) as HTMLInputElement | null) : null;
    if (again) {
      again.focus();
      if (caret !== null && again.setSelectionRange && again.type !== 'date') {
        try {
          again.setSelectionRange(caret, caret);
        } catch {
          // Inputs without a caret (selects, number) refuse it; focus is what matters.
        }
      }
    }
  }

  render();
  return {
    el,
    /** Shows problems next to the rules they belong to (client checks and the API's answer). */
    setProblems(next: Problem[]) {
      problems = next;
      showProblems();
    },
  };
}

/**
 * The rule builder's editing model and its two-way mapping to the segment rule language of
 * issue 6 (traits, computed traits, events with property filters, windows, counts, AND/OR/NOT,
 * segment references). Pure: the builder edits these plain objects, `toCondition` turns them
 * into the JSON the API takes, `fromCondition` reads a saved definition back for editing.
 */

export const COMPARE_OPS = ['eq', 'neq', 'gt', 'gte', 'lt', 'lte', 'in', 'contains', 'startsWith', 'exists', 'notExists'] as const;
export type CompareOp = (typeof COMPARE_OPS)[number];
export const OP_LABELS: Record<CompareOp, string> = {
  eq: 'is',
  neq: 'is not',
  gt: 'is greater than',
  gte: 'is at least',
  lt: 'is less than',
  lte: 'is at most',
  in: 'is one of',
  contains: 'contains',
  startsWith: 'starts with',
  exists: 'is set',
  notExists: 'is not set',
};
export const VALUE_KINDS = ['text', 'number', 'boolean', 'list', 'daysAgo'] as const;
export type ValueKind = (typeof VALUE_KINDS)[number];
export const KIND_LABELS: Record<ValueKind, string> = {
  text: 'text or date',
  number: 'number',
  boolean: 'true / false',
  list: 'list (comma separated)',
  daysAgo: 'days ago',
};
export const COMPUTED_NAMES = ['eventCount', 'revenue', 'firstSeen', 'lastSeen'] as const;

/** A comparison as typed: the value stays text until `toCondition` reads it by its kind. */
export interface Comparison {
  op: CompareOp;
  kind: ValueKind;
  value: string;
}
export interface TraitNode {
  kind: 'trait';
  negate: boolean;
  source: 'trait' | 'computed';
  name: string;
  cmp: Comparison;
}
export interface PropertyRow extends Comparison {
  property: string;
}
export type WindowType = 'ever' | 'days' | 'hours' | 'between';
export interface EventNode {
  kind: 'event';
  negate: boolean;
  event: string;
  where: PropertyRow[];
  window: { type: WindowType; amount: string; from: string; to: string };
  count: { op: 'gte' | 'lte' | 'eq'; n: string };
}
export interface SegmentNode {
  kind: 'segment';
  negate: boolean;
  key: string;
}
export interface GroupNode {
  kind: 'group';
  negate: boolean;
  op: 'and' | 'or';
  children: RuleNode[];
}
export type RuleNode = TraitNode | EventNode | SegmentNode | GroupNode;

/** Where a problem is: child indexes from the root group, e.g. [1, 0]. */
export type NodePath = readonly number[];
export interface Problem {
  path: NodePath;
  message: string;
}

export const newComparison = (): Comparison => ({ op: 'eq', kind: 'text', value: '' });
export const newTrait = (): TraitNode => ({ kind: 'trait', negate: false, source: 'trait', name: '', cmp: newComparison() });
export const newEvent = (): EventNode => ({
  kind: 'event',
  negate: false,
  event: '',
  where: [],
  window: { type: 'days', amount: '30', from: '', to: '' },
  count: { op: 'gte', n: '1' },
});
export const newSegmentRef = (): SegmentNode => ({ kind: 'segment', negate: false, key: '' });
export const newGroup = (op: 'and' | 'or' = 'and', children: RuleNode[] = []): GroupNode => ({ kind: 'group', negate: false, op, children });

const NUMBER = /^-?\d+(\.\d+)?$/;
const WHOLE = /^\d+$/;

/** The JSON value of a comparison, or a problem in words. */
function readValue(cmp: Comparison): { value?: unknown; problem?: string } {
  if (cmp.op === 'exists' || cmp.op === 'notExists') return {};
  const raw = cmp.value.trim();
  const kind: ValueKind = cmp.op === 'in' ? 'list' : cmp.kind;
  switch (kind) {
    case 'number':
      return NUMBER.test(raw) ? { value: Number(raw) } : { problem: 'Enter a number' };
    case 'boolean':
      return raw === 'true' || raw === 'false' ? { value: raw === 'true' } : { problem: 'Choose true or false' };
    case 'daysAgo':
      return WHOLE.test(raw) ? { value: { daysAgo: Number(raw) } } : { problem: 'Enter a whole number of days' };
    case 'list': {
      const items = raw.split(',').map((v) => v.trim()).filter(Boolean);
      return items.length ? { value: items.map((v) => (cmp.kind === 'number' && NUMBER.test(v) ? Number(v) : v)) } : { problem: 'Enter at least one value' };
    }
    default:
      return raw ? { value: cmp.value } : { problem: 'Enter a value' };
  }
}

const wrap = (negate: boolean, c: unknown) => (negate ? { not: c } : c);

/**
 * The rule-language JSON for an edited tree, with every problem found (empty names, bad numbers).
 * The condition is only meant to be sent when `problems` is empty.
 * @example toCondition(newGroup('and', [{ ...newTrait(), name: 'plan', cmp: { op: 'eq', kind: 'text', value: 'pro' } }]))
 *   // { condition: { and: [{ trait: 'plan', op: 'eq', value: 'pro' }] }, problems: [] }
 */
export function toCondition(root: RuleNode): { condition: unknown; problems: Problem[] } {
  const problems: Problem[] = [];
  const problem = (path: NodePath, message: string) => problems.push({ path, message });

  const compare = (path: NodePath, cmp: Comparison, head: Record<string, unknown>) => {
    const { value, problem: p } = readValue(cmp);
    if (p) problem(path, p);
    return value === undefined ? { ...head, op: cmp.op } : { ...head, op: cmp.op, value };
  };

  const walk = (node: RuleNode, path: NodePath): unknown => {
    switch (node.kind) {
      case 'group': {
        if (node.children.length === 0) problem(path, 'Add at least one rule to this group');
        return wrap(node.negate, { [node.op]: node.children.map((c, i) => walk(c, [...path, i])) });
      }
      case 'trait': {
        if (!node.name.trim()) problem(path, node.source === 'trait' ? 'Name the trait' : 'Name the computed trait');
        return wrap(node.negate, compare(path, node.cmp, { [node.source]: node.name.trim() }));
      }
      case 'segment': {
        if (!node.key) problem(path, 'Choose a segment');
        return wrap(node.negate, { segment: node.key });
      }
      case 'event': {
        if (!node.event.trim()) problem(path, 'Name the event (or * for any event)');
        const out: Record<string, unknown> = { event: node.event.trim() };
        if (node.where.length) {
          out.where = node.where.map((row) => {
            if (!row.property.trim()) problem(path, 'Name the property of each filter');
            return compare(path, row, { property: row.property.trim() });
          });
        }
        const w = node.window;
        if (w.type === 'days' || w.type === 'hours') {
          if (WHOLE.test(w.amount.trim()) && Number(w.amount) > 0) out.within = { [w.type]: Number(w.amount) };
          else problem(path, `Enter a whole number of ${w.type}`);
        } else if (w.type === 'between') {
          if (!w.from && !w.to) problem(path, 'Enter a start date, an end date or both');
          out.within = { ...(w.from ? { from: w.from } : {}), ...(w.to ? { to: w.to } : {}) };
        }
        const n = node.count.n.trim();
        if (!WHOLE.test(n)) problem(path, 'Enter a whole number of times');
        else if (!(node.count.op === 'gte' && n === '1')) out.count = { [node.count.op]: Number(n) };
        return wrap(node.negate, out);
      }
    }
  };
  return { condition: walk(root, []), problems };
}

function comparisonFrom(c: Record<string, unknown>): Comparison {
  const op = (COMPARE_OPS as readonly string[]).includes(c.op as string) ? (c.op as CompareOp) : 'eq';
  const v = c.value;
  if (v === undefined) return { op, kind: 'text', value: '' };
  if (Array.isArray(v)) return { op, kind: v.every((x) => typeof x === 'number') ? 'number' : 'list', value: v.join(', ') };
  if (typeof v === 'number') return { op, kind: 'number', value: String(v) };
  if (typeof v === 'boolean') return { op, kind: 'boolean', value: String(v) };
  if (v && typeof v === 'object' && 'daysAgo' in v) return { op, kind: 'daysAgo', value: String((v as { daysAgo: unknown }).daysAgo) };
  return { op, kind: 'text', value: String(v) };
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * The editing tree of a saved condition. The root is always a group, so the builder has one
 * place to add rules. Shapes it does not know become an empty trait rule (the API validated
 * saved definitions, so this only happens with a newer collector).
 * @example fromCondition({ segment: 'vip' }) // group AND [segment vip]
 */
export function fromCondition(condition: unknown): GroupNode {
  const read = (c: unknown): RuleNode => {
    if (!isObject(c)) return newTrait();
    if ('not' in c) {
      const inner = read(c.not);
      return inner.negate ? { ...newGroup('and', [inner]), negate: true } : { ...inner, negate: true };
    }
    if (Array.isArray(c.and)) return newGroup('and', c.and.map(read));
    if (Array.isArray(c.or)) return newGroup('or', c.or.map(read));
    if (typeof c.segment === 'string') return { ...newSegmentRef(), key: c.segment };
    if (typeof c.trait === 'string') return { ...newTrait(), name: c.trait, cmp: comparisonFrom(c) };
    if (typeof c.computed === 'string') return { ...newTrait(), source: 'computed', name: c.computed, cmp: comparisonFrom(c) };
    if (typeof c.event === 'string') {
      const node: EventNode = { ...newEvent(), event: c.event, window: { type: 'ever', amount: '30', from: '', to: '' } };
      if (Array.isArray(c.where)) node.where = c.where.filter(isObject).map((w) => ({ property: String(w.property ?? ''), ...comparisonFrom(w) }));
      const w = c.within;
      if (isObject(w)) {
        if (typeof w.days === 'number') node.window = { ...node.window, type: 'days', amount: String(w.days) };
        else if (typeof w.hours === 'number') node.window = { ...node.window, type: 'hours', amount: String(w.hours) };
        else node.window = { ...node.window, type: 'between', from: String(w.from ?? ''), to: String(w.to ?? '') };
      }
      const count = c.count;
      if (isObject(count)) {
        const op = (['gte', 'lte', 'eq'] as const).find((k) => typeof count[k] === 'number') ?? 'gte';
        node.count = { op, n: String(count[op] ?? 1) };
      }
      return node;
    }
    return newTrait();
  };
  const root = read(condition);
  return root.kind === 'group' && !root.negate ? root : newGroup('and', [root]);
}

/** The node at `path` under `root` (the root itself for []). */
export function nodeAt(root: GroupNode, path: NodePath): RuleNode | undefined {
  let node: RuleNode | undefined = root;
  for (const i of path) node = node?.kind === 'group' ? node.children[i] : undefined;
  return node;
}

/** Removes the node at `path` (not the root). */
export function removeAt(root: GroupNode, path: NodePath): void {
  const parent = nodeAt(root, path.slice(0, -1));
  if (parent?.kind === 'group') parent.children.splice(path[path.length - 1]!, 1);
}

/** A one-line reading of a condition for lists ("plan is pro AND did Order Completed ≥ 3 times in 30 days"). */
export function describe(node: RuleNode): string {
  const not = (s: string) => (node.negate ? `NOT (${s})` : s);
  const cmp = (c: Comparison) =>
    c.op === 'exists' || c.op === 'notExists' ? OP_LABELS[c.op] : `${OP_LABELS[c.op]} ${c.kind === 'daysAgo' ? `${c.value} days ago` : c.value}`;
  switch (node.kind) {
    case 'group':
      return not(node.children.map((c) => (c.kind === 'group' && !c.negate ? `(${describe(c)})` : describe(c))).join(` ${node.op.toUpperCase()} `));
    case 'trait':
      return not(`${node.source === 'computed' ? 'computed ' : ''}${node.name} ${cmp(node.cmp)}`);
    case 'segment':
      return not(`in segment ${node.key}`);
    case 'event': {
      const where = node.where.length ? ` where ${node.where.map((w) => `${w.property} ${cmp(w)}`).join(' and ')}` : '';
      const count = node.count.op === 'gte' && node.count.n === '1' ? '' : ` ${{ gte: '≥', lte: '≤', eq: '=' }[node.count.op]} ${node.count.n} times`;
      const w = node.window;
      const when =
        w.type === 'ever' ? '' : w.type === 'between' ? ` between ${w.from || '…'} and ${w.to || '…'}` : ` in the last ${w.amount} ${w.type}`;
      return not(`did ${node.event === '*' ? 'any event' : node.event}${where}${count}${when}`);
    }
  }
}

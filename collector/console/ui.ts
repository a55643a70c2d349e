/** Shared page pieces: the alert banner, headings, empty states, downloads. */
import { api, ConsoleError } from './api';
import { h, type Child } from './dom';
import type { Page } from './types';

const alertBox = () => document.getElementById('alert')!;

/** Shows an error in words at the top of the page (role=alert, so it is announced). */
export function showError(err: unknown): void {
  if ((err as Error)?.name === 'AbortError') return;
  const message = err instanceof ConsoleError ? err.message : `Something went wrong: ${(err as Error)?.message ?? String(err)}`;
  const box = alertBox();
  box.replaceChildren(h('span', null, message), h('button', { type: 'button', class: 'icon', 'aria-label': 'Dismiss', onClick: clearError }, '✕'));
  box.hidden = false;
}

export function clearError(): void {
  const box = alertBox();
  box.hidden = true;
  box.replaceChildren();
}

/** An inline error inside a section, for failures that do not concern the whole page. */
export const inlineError = (err: unknown) =>
  h('p', { class: 'error', role: 'alert' }, err instanceof ConsoleError ? err.message : `Something went wrong: ${(err as Error)?.message}`);

export const section = (title: string, ...children: Child[]) => h('section', { class: 'card' }, h('h2', null, title), children);

export const empty = (text: string) => h('p', { class: 'muted empty' }, text);

/** Saves a Blob as a file (CSV members, JSON exports) without leaving the page. */
export function download(blob: Blob, filename: string): void {
  const url = URL.createObjectURL(blob);
  const a = h('a', { href: url, download: filename, hidden: true });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** A key/value table for traits and the like. */
export function kvTable(obj: Record<string, unknown>, format: (v: unknown) => string, caption: string) {
  const entries = Object.entries(obj).filter(([, v]) => v !== null && v !== undefined);
  if (entries.length === 0) return empty(`No ${caption.toLowerCase()}.`);
  return h(
    'table',
    { class: 'kv' },
    h('caption', { class: 'sr' }, caption),
    h('tbody', null, entries.map(([k, v]) => h('tr', null, h('th', { scope: 'row' }, k), h('td', null, format(v))))),
  );
}

export interface PagerOptions<T> {
  /** A cursor-paged read API path (`{data, cursor: {next, hasMore}}`). */
  path: string;
  limit: number;
  signal: AbortSignal;
  /** Where each item's node is appended. */
  list: HTMLElement;
  render: (item: T) => Node;
  moreLabel: string;
  emptyText: string;
}

/**
 * A "more" list over a cursor-paged API: loads the first page at once and the next on each click.
 * Returns the status line (empty state or the error in words) and the button to place around `list`.
 */
export function cursorPager<T>(o: PagerOptions<T>): { state: HTMLElement; more: HTMLButtonElement } {
  const more = h('button', { type: 'button', hidden: true }, o.moreLabel);
  const state = h('div');
  let cursor: string | null = null;
  const load = async () => {
    more.disabled = true;
    try {
      const page = await api<Page<T>>(o.path, { query: { limit: o.limit, cursor }, signal: o.signal });
      if (!cursor && page.data.length === 0) state.replaceChildren(empty(o.emptyText));
      o.list.append(...page.data.map(o.render));
      cursor = page.cursor.next;
      more.hidden = !page.cursor.hasMore;
    } catch (err) {
      state.replaceChildren(inlineError(err));
    } finally {
      more.disabled = false;
    }
  };
  more.addEventListener('click', () => void load());
  void load();
  return { state, more };
}

/** Shared page pieces: the alert banner, headings, empty states, downloads. */
import { ConsoleError } from './api';
import { h, type Child } from './dom';

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

/**
 * The Satu console: a small single-page app over the collector's read API. Routes are paths
 * under /console (the collector answers index.html for all of them); each view renders into
 * <main> and is handed an AbortSignal that fires when the user navigates away (polling stops).
 */
import { api, ConsoleError } from './api';
import { h, mount } from './dom';
import { clearKey, getKey, type SessionInfo } from './session';
import { clearError, showError } from './ui';
import { overviewView } from './views/overview';
import { predictionsView } from './views/predictions';
import { profileView, profilesView } from './views/profiles';
import { segmentEditView, segmentsView, segmentView } from './views/segments';
import { signInView } from './views/sign-in';

export interface ViewContext {
  main: HTMLElement;
  signal: AbortSignal;
  session: SessionInfo;
  params: string[];
  navigate: (path: string) => void;
  /** Whether the key may change data (save segments, delete and export profiles). */
  admin: boolean;
}
type View = (ctx: ViewContext) => Promise<void> | void;

const routes: [RegExp, View, string][] = [
  [/^\/console\/?$/, overviewView, 'Overview'],
  [/^\/console\/profiles\/?$/, profilesView, 'Profiles'],
  [/^\/console\/profiles\/(.+)$/, profileView, 'Profiles'],
  [/^\/console\/segments\/?$/, segmentsView, 'Segments'],
  [/^\/console\/segments\/new$/, segmentEditView, 'Segments'],
  [/^\/console\/segments\/([^/]+)\/edit$/, segmentEditView, 'Segments'],
  [/^\/console\/segments\/([^/]+)$/, segmentView, 'Segments'],
  [/^\/console\/predictions\/?$/, predictionsView, 'Predictions'],
];

const main = document.getElementById('main')!;
const nav = document.getElementById('nav')!;
const who = document.getElementById('who')!;
let current: AbortController | null = null;
let session: SessionInfo | null = null;

function navigate(path: string): void {
  if (path !== location.pathname + location.search) history.pushState(null, '', path);
  void render();
}

function signOut(): void {
  clearKey();
  session = null;
  navigate('/console/');
}

async function loadSession(): Promise<SessionInfo | null> {
  if (session) return session;
  if (!getKey()) return null;
  try {
    session = await api<SessionInfo>('/v1/insights/session');
    return session;
  } catch (err) {
    if (err instanceof ConsoleError && (err.status === 401 || err.status === 403)) {
      clearKey();
      showError(err);
      return null;
    }
    throw err;
  }
}

async function render(): Promise<void> {
  current?.abort();
  const controller = new AbortController();
  current = controller;
  clearError();
  try {
    const info = await loadSession();
    if (controller.signal.aborted) return;
    if (!info) {
      nav.hidden = true;
      who.replaceChildren();
      document.title = 'Sign in · Satu console';
      signInView({ main, onSignedIn: (s) => ((session = s), navigate(location.pathname.startsWith('/console') ? location.pathname : '/console/')) });
      return;
    }
    nav.hidden = false;
    who.replaceChildren(
      h('span', { class: 'ws' }, info.workspace.name),
      h('span', { class: 'scope' }, info.scopes.includes('admin') ? 'admin' : 'read only'),
      h('button', { type: 'button', class: 'link', onClick: signOut }, 'Sign out'),
    );
    const path = location.pathname;
    const match = routes.find(([re]) => re.test(path));
    for (const a of nav.querySelectorAll('a')) {
      const active = match && a.textContent === match[2];
      if (active) a.setAttribute('aria-current', 'page');
      else a.removeAttribute('aria-current');
    }
    if (!match) {
      mount(main, h('h1', null, 'Not found'), h('p', null, 'This page does not exist. ', h('a', { href: '/console/' }, 'Go to the overview')));
      return;
    }
    document.title = `${match[2]} · Satu console`;
    mount(main, h('p', { class: 'muted' }, 'Loading…'));
    const params = (path.match(match[0]) ?? []).slice(1).map(decodeURIComponent);
    await match[1]({ main, signal: controller.signal, session: info, params, navigate, admin: info.scopes.includes('admin') });
  } catch (err) {
    if ((err as Error).name === 'AbortError' || controller.signal.aborted) return;
    showError(err);
    if (main.textContent === 'Loading…') mount(main, h('p', { class: 'muted' }, 'This page could not be loaded.'));
  }
}

// Same-origin links inside the console navigate without a page load.
document.addEventListener('click', (e) => {
  const a = (e.target as Element).closest?.('a');
  if (!a || a.target || a.hasAttribute('download') || e.metaKey || e.ctrlKey || e.shiftKey || e.button !== 0) return;
  const url = new URL(a.href, location.href);
  if (url.origin !== location.origin || !url.pathname.startsWith('/console')) return;
  e.preventDefault();
  navigate(url.pathname + url.search);
  main.focus();
});
window.addEventListener('popstate', () => void render());
void render();

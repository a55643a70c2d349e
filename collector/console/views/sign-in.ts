import { api, ConsoleError } from '../api';
import { field, h, mount } from '../dom';
import { setKey, type SessionInfo } from '../session';

/** Sign in by pasting a secret key; it is checked against the API before it is kept. */
export function signInView({ main, onSignedIn }: { main: HTMLElement; onSignedIn: (s: SessionInfo) => void }): void {
  const key = h('input', { type: 'password', name: 'key', autocomplete: 'off', spellcheck: 'false', required: true, placeholder: 'sk_…' });
  const status = h('p', { class: 'error', role: 'alert', hidden: true });
  const button = h('button', { type: 'submit', class: 'primary' }, 'Sign in');
  const form = h(
    'form',
    {
      class: 'card signin',
      onSubmit: async (e: Event) => {
        e.preventDefault();
        const value = key.value.trim();
        status.hidden = true;
        if (!value.startsWith('sk_')) {
          status.textContent = value.startsWith('wk_')
            ? 'That is a write key (public, for sending events). The console needs a secret key, which starts with sk_.'
            : 'Paste a secret key: it starts with sk_.';
          status.hidden = false;
          return;
        }
        button.disabled = true;
        try {
          const session = await api<SessionInfo>('/v1/insights/session', { key: value });
          setKey(value);
          onSignedIn(session);
        } catch (err) {
          status.textContent = err instanceof ConsoleError ? err.message : String(err);
          status.hidden = false;
        } finally {
          button.disabled = false;
        }
      },
    },
    h('h1', null, 'Sign in to the Satu console'),
    h('p', null, 'Paste a secret key of your workspace. It is kept in this browser tab only and forgotten when you close it.'),
    field('Secret key', key),
    status,
    button,
  );
  mount(main, form);
  key.focus();
}

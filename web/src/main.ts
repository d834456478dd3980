/**
 * The dashboard shell: checks the session, draws the header and routes by the
 * URL hash (`#/keys`, `#/keys/new`, `#/keys/<id>`, `#/audit`), so the server
 * only ever serves static files and the management API.
 */
import './styles.css';
import { type Session, api, setCsrfToken, whenSignedOut } from './api.js';
import { h, replaceChildren } from './dom.js';
import { auditLogScreen } from './views/audit-log.js';
import { generateKeyScreen } from './views/generate-key.js';
import { keyDetailScreen } from './views/key-detail.js';
import { keysListScreen } from './views/keys-list.js';
import { signInScreen } from './views/sign-in.js';

const main = document.getElementById('main')!;
const top = document.getElementById('top')!;
let session: Session | null = null;

async function loadSession(): Promise<Session | null> {
  try {
    session = await api<Session>('GET', '/session');
    setCsrfToken(session.csrf_token);
  } catch {
    session = null;
    setCsrfToken(null);
  }
  return session;
}

function header(): void {
  if (!session) {
    replaceChildren(top, h('span', { class: 'brand', text: 'Atender' }));
    return;
  }
  const current = location.hash.startsWith('#/audit') ? 'audit' : 'keys';
  const link = (href: string, text: string, name: string) => h('a', { href, text, 'aria-current': current === name ? 'page' : undefined });
  replaceChildren(
    top,
    h('span', { class: 'brand', text: 'Atender' }),
    h('nav', { 'aria-label': 'Main' }, h('ul', null, h('li', null, link('#/keys', 'API keys', 'keys')), h('li', null, link('#/audit', 'Audit log', 'audit')))),
    h(
      'div',
      { class: 'who' },
      h('span', { class: 'org', text: session.org.name }),
      h('span', { class: 'email', text: session.admin.email }),
      h('button', {
        type: 'button',
        class: 'link',
        text: 'Sign out',
        onclick: async () => {
          await api('DELETE', '/session').catch(() => {});
          session = null;
          setCsrfToken(null);
          location.hash = '#/sign-in';
        },
      }),
    ),
  );
}

async function route(): Promise<void> {
  const [path = '', query = ''] = location.hash.replace(/^#/, '').split('?');
  if (!session && path !== '/sign-in') await loadSession();
  if (!session) {
    header();
    signInScreen(main, async () => {
      await loadSession();
      if (location.hash === '#/keys') await route();
      else location.hash = '#/keys';
    });
    return;
  }
  header();
  const params = new URLSearchParams(query);
  const keyMatch = /^\/keys\/(key_[0-9a-z]{26})$/.exec(path);
  if (path === '/keys/new') generateKeyScreen(main, session);
  else if (keyMatch) await keyDetailScreen(main, keyMatch[1]!, session);
  else if (path === '/audit') await auditLogScreen(main);
  else if (path === '/keys') await keysListScreen(main, params.get('environment') ?? '');
  else location.hash = '#/keys';
}

whenSignedOut(() => {
  session = null;
  setCsrfToken(null);
  void route();
});
window.addEventListener('hashchange', () => void route());
void route();

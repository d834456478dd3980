/** One key: its properties, per-secret last use during a rotation grace, usage, and the lifecycle actions. */
import { type ApiKey, type CreatedKey, type Session, api } from '../api.js';
import { announce, h, replaceChildren } from '../dom.js';
import { scopeDescription } from '../catalogue.js';
import { ago, capitalise, lastUsed, number, when } from '../format.js';
import { environmentBadge, errorBox, screenHeading, secretPanel, statusBadge } from './common.js';
import { nameField, scopesFieldset, tierField } from './key-fields.js';
import { usageSection } from './usage.js';

const GRACE_CHOICES = [
  { seconds: 0, label: 'No grace: the old key stops at once' },
  { seconds: 3600, label: '1 hour' },
  { seconds: 86_400, label: '24 hours' },
  { seconds: 3 * 86_400, label: '3 days' },
  { seconds: 7 * 86_400, label: '7 days (the maximum)' },
];

export async function keyDetailScreen(main: HTMLElement, keyId: string, session: Session): Promise<void> {
  replaceChildren(main, h('p', { class: 'muted', text: 'Loading key…' }));
  let key: ApiKey;
  try {
    key = await api<ApiKey>('GET', `/api-keys/${encodeURIComponent(keyId)}`);
  } catch (error) {
    replaceChildren(main, screenHeading('Key not found'), errorBox(error), h('p', null, h('a', { href: '#/keys', text: 'Back to all keys' })));
    return;
  }
  render(main, key, session);
}

function render(main: HTMLElement, key: ApiKey, session: Session, focusHeading = true): void {
  const feedback = h('div');
  const heading = focusHeading ? screenHeading(key.name) : h('h1', { tabindex: '-1', text: key.name });
  replaceChildren(
    main,
    h('p', { class: 'breadcrumb' }, h('a', { href: '#/keys', text: '← All keys' })),
    h('div', { class: 'title-row' }, heading, h('span', { class: 'badges' }, environmentBadge(key.environment), statusBadge(key.status))),
    feedback,
    properties(key),
    secretsTable(key),
    usageSection(key),
    actions(main, key, session, feedback),
  );
}

function properties(key: ApiKey): HTMLElement {
  const rows: [string, Node | string][] = [
    ['Key', h('code', { text: key.hint })],
    ['Id', h('code', { text: key.id })],
    ['Scopes', key.scopes.length ? h('ul', { class: 'plain' }, key.scopes.map((s) => h('li', null, h('code', { text: s }), ` · ${scopeDescription(s)}`))) : 'None: the key can only call /v1/me'],
    ['Tier', `${capitalise(key.tier)}: ${number.format(key.limits.per_minute)} per minute, ${number.format(key.limits.per_day)} per day`],
    ['Created', when(key.created_at)],
    ['Last used', h('span', { id: 'key-last-used', text: lastUsed(key.last_used_at) })],
  ];
  if (key.expires_at) rows.push(['Expires', when(key.expires_at)]);
  if (key.allowed_ips.length) rows.push(['Allowed addresses', key.allowed_ips.join(', ')]);
  if (key.revoked_at) rows.push(['Revoked', when(key.revoked_at)]);
  return h('section', { class: 'card', 'aria-labelledby': 'props-heading' }, h('h2', { id: 'props-heading', text: 'Details' }), h('dl', { class: 'props' }, rows.map(([term, value]) => [h('dt', { text: term }), h('dd', null, value)])));
}

/** During a rotation grace two secrets are live; showing each one's last use tells the admin when the old one went quiet. */
function secretsTable(key: ApiKey): HTMLElement | null {
  if (key.secrets.length < 2) return null;
  return h(
    'section',
    { class: 'card', 'aria-labelledby': 'secrets-heading' },
    h('h2', { id: 'secrets-heading', text: 'Secrets' }),
    h(
      'table',
      { class: 'responsive' },
      h('thead', null, h('tr', null, ['Secret', 'State', 'Created', 'Last used'].map((t) => h('th', { scope: 'col', text: t })))),
      h(
        'tbody',
        null,
        key.secrets.map((s, i) =>
          h(
            'tr',
            null,
            h('th', { scope: 'row', 'data-label': 'Secret' }, h('code', { text: s.hint }), i === 0 ? ' (current)' : ''),
            h('td', { 'data-label': 'State', text: s.retires_at === null ? (s.live ? 'Current' : 'Revoked') : s.live ? `In grace until ${when(s.retires_at)}` : `Retired ${when(s.retires_at)}` }),
            h('td', { 'data-label': 'Created', text: when(s.created_at) }),
            h('td', { 'data-label': 'Last used', text: ago(s.last_used_at) }),
          ),
        ),
      ),
    ),
  );
}

function actions(main: HTMLElement, key: ApiKey, session: Session, feedback: HTMLElement): HTMLElement | null {
  if (key.status === 'revoked') return h('section', { class: 'card' }, h('h2', { text: 'Actions' }), h('p', { text: 'This key is revoked for good. Generate a new key if you need one.' }));
  const run = async (label: string, work: () => Promise<ApiKey>) => {
    replaceChildren(feedback);
    try {
      const updated = await work();
      announce(label);
      render(main, updated, session, false);
      (main.querySelector('#actions-heading') as HTMLElement | null)?.focus();
    } catch (error) {
      replaceChildren(feedback, errorBox(error));
    }
  };
  const toggle = h('button', {
    type: 'button',
    class: 'secondary',
    text: key.active ? 'Disable key' : 'Enable key',
    'aria-describedby': 'toggle-hint',
    onclick: () => run(key.active ? 'Key disabled' : 'Key enabled', () => api<ApiKey>('PATCH', `/api-keys/${key.id}`, { active: !key.active })),
  });
  const inGrace = key.secrets.some((s) => s.live && s.retires_at !== null);
  const graceSelect = h('select', { id: 'grace' }, GRACE_CHOICES.map((c) => h('option', { value: String(c.seconds), text: c.label })));
  const rotateForm = h(
    'form',
    {
      class: 'inline-form',
      onsubmit: async (event: Event) => {
        event.preventDefault();
        replaceChildren(feedback);
        try {
          const rotated = await api<CreatedKey>('POST', `/api-keys/${key.id}/rotate`, { grace_period_seconds: Number(graceSelect.value) });
          announce('Key rotated');
          replaceChildren(main, screenHeading(`"${rotated.name}" rotated`), secretPanel(rotated.key, 'Copy the new key', () => render(main, rotated, session)));
        } catch (error) {
          replaceChildren(feedback, errorBox(error));
        }
      },
    },
    h('label', { for: 'grace', text: 'Keep the old key working for' }),
    graceSelect,
    h('button', { type: 'submit', class: 'secondary', text: 'Rotate key' }),
  );
  return h(
    'section',
    { class: 'card', 'aria-labelledby': 'actions-heading' },
    h('h2', { id: 'actions-heading', tabindex: '-1', text: 'Actions' }),
    editForm(key, session, run),
    h('div', { class: 'action' }, h('h3', { text: 'Rotate' }), h('p', { class: 'muted', text: 'Replaces the secret; the key keeps its id, settings, budget and history. Use a grace period to deploy the new key without downtime.' }), rotateForm),
    inGrace
      ? h('div', { class: 'action' }, h('h3', { text: 'End the grace now' }), h('p', { class: 'muted', text: 'The old secret stops working at once, e.g. after a leak.' }), h('button', { type: 'button', class: 'secondary', text: 'End grace', onclick: () => run('Grace ended', () => api<ApiKey>('POST', `/api-keys/${key.id}/end-grace`)) }))
      : null,
    h('div', { class: 'action' }, h('h3', { text: key.active ? 'Disable' : 'Enable' }), h('p', { id: 'toggle-hint', class: 'muted', text: key.active ? 'Requests with this key are refused until you enable it again.' : 'The key works again at once.' }), toggle),
    h('div', { class: 'action danger-zone' }, h('h3', { text: 'Revoke' }), h('p', { class: 'muted', text: 'Permanent: every secret of this key stops working within a second.' }), revokeButton(key, run)),
  );
}

function revokeButton(key: ApiKey, run: (label: string, work: () => Promise<ApiKey>) => Promise<void>): HTMLElement {
  const dialog = h(
    'dialog',
    { 'aria-labelledby': 'revoke-title', 'aria-describedby': 'revoke-desc' },
    h(
      'form',
      { method: 'dialog' },
      h('h2', { id: 'revoke-title', text: `Revoke "${key.name}"?` }),
      h('p', { id: 'revoke-desc', text: `Every request with ${key.hint} will be refused from now on. This cannot be undone.` }),
      h('div', { class: 'actions' }, h('button', { value: 'cancel', class: 'secondary', text: 'Cancel', autofocus: true }), h('button', { value: 'revoke', class: 'danger', text: 'Revoke key' })),
    ),
  );
  dialog.addEventListener('close', () => {
    if (dialog.returnValue === 'revoke') void run('Key revoked', () => api<ApiKey>('POST', `/api-keys/${key.id}/revoke`));
  });
  const open = h('button', { type: 'button', class: 'danger', text: 'Revoke key…', onclick: () => dialog.showModal() });
  return h('div', null, open, dialog);
}

/** Name, scopes and tier, folded away until wanted; "unused scopes" below tells what to untick. */
function editForm(key: ApiKey, session: Session, run: (label: string, work: () => Promise<ApiKey>) => Promise<void>): HTMLElement {
  const name = nameField(key.name);
  const tier = tierField(session.org.max_tier, key.tier);
  const form: HTMLFormElement = h(
    'form',
    {
      onsubmit: (event: Event) => {
        event.preventDefault();
        const scopes = new FormData(form).getAll('scopes');
        void run('Key updated', () => api<ApiKey>('PATCH', `/api-keys/${key.id}`, { name: name.input.value, scopes, tier: tier.select.value }));
      },
    },
    name.field,
    scopesFieldset(key.scopes),
    tier.field,
    h('button', { type: 'submit', class: 'secondary', text: 'Save changes' }),
  );
  return h('details', { class: 'action' }, h('summary', null, h('h3', { class: 'inline', text: 'Edit name, scopes and tier' })), form);
}

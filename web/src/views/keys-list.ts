/** The keys list: environment badge, display hint, scopes, tier, status and last use for every key of the org. */
import { type ApiKey, api } from '../api.js';
import { h, replaceChildren } from '../dom.js';
import { ago, capitalise, when } from '../format.js';
import { environmentBadge, errorBox, screenHeading, statusBadge } from './common.js';

export async function keysListScreen(main: HTMLElement, environment: string): Promise<void> {
  const filter = h(
    'select',
    {
      id: 'env-filter',
      onchange: () => (location.hash = filter.value ? `#/keys?environment=${filter.value}` : '#/keys'),
    },
    h('option', { value: '', text: 'All environments' }),
    h('option', { value: 'production', text: 'Production' }),
    h('option', { value: 'sandbox', text: 'Sandbox' }),
  );
  filter.value = environment;
  const body = h('div', null, h('p', { class: 'muted', text: 'Loading keys…' }));
  replaceChildren(
    main,
    h('div', { class: 'title-row' }, screenHeading('API keys'), h('a', { class: 'button primary', href: '#/keys/new', text: 'Generate key' })),
    h('div', { class: 'toolbar' }, h('label', { for: 'env-filter', text: 'Show' }), filter),
    body,
  );
  try {
    const { data } = await api<{ data: ApiKey[] }>('GET', `/api-keys${environment ? `?environment=${environment}` : ''}`);
    replaceChildren(body, data.length === 0 ? h('p', { class: 'empty', text: 'No keys yet. Generate one to call the API.' }) : keysTable(data));
  } catch (error) {
    replaceChildren(body, errorBox(error));
  }
}

function keysTable(keys: ApiKey[]): HTMLElement {
  const head = ['Name', 'Environment', 'Key', 'Scopes', 'Tier', 'Status', 'Last used'];
  return h(
    'div',
    { class: 'table-wrap' },
    h(
      'table',
      { class: 'responsive' },
      h('caption', { class: 'visually-hidden', text: 'API keys of your organisation, newest first' }),
      h('thead', null, h('tr', null, head.map((label) => h('th', { scope: 'col', text: label })))),
      h(
        'tbody',
        null,
        keys.map((key) =>
          h(
            'tr',
            null,
            h('th', { scope: 'row', 'data-label': 'Name' }, h('a', { href: `#/keys/${key.id}`, text: key.name })),
            h('td', { 'data-label': 'Environment' }, environmentBadge(key.environment)),
            h('td', { 'data-label': 'Key' }, h('code', { text: key.hint })),
            h('td', { 'data-label': 'Scopes' }, key.scopes.length ? h('ul', { class: 'chips' }, key.scopes.map((s) => h('li', { text: s }))) : h('span', { class: 'muted', text: 'None (/v1/me only)' })),
            h('td', { 'data-label': 'Tier', text: capitalise(key.tier) }),
            h('td', { 'data-label': 'Status' }, statusBadge(key.status)),
            h('td', { 'data-label': 'Last used' }, h('time', { datetime: key.last_used_at ?? '', title: when(key.last_used_at), text: ago(key.last_used_at) })),
          ),
        ),
      ),
    ),
  );
}

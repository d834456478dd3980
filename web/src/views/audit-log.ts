/** The audit log: every key lifecycle event with who, from where and when, newest first. */
import { type AuditEntry, api } from '../api.js';
import { h, replaceChildren } from '../dom.js';
import { when } from '../format.js';
import { errorBox, screenHeading } from './common.js';

const ACTION_LABEL: Record<string, string> = {
  'api_key.created': 'Key created',
  'api_key.updated': 'Key changed',
  'api_key.disabled': 'Key disabled',
  'api_key.enabled': 'Key enabled',
  'api_key.rotated': 'Key rotated',
  'api_key.grace_ended': 'Grace ended',
  'api_key.revoked': 'Key revoked',
};

const ACTOR_LABEL: Record<string, string> = { admin: 'Admin', operator: 'Operator', system: 'System', api_key: 'API key' };

export async function auditLogScreen(main: HTMLElement): Promise<void> {
  const rows = h('tbody');
  const feedback = h('div');
  const more = h('button', { type: 'button', class: 'secondary', text: 'Show older events', hidden: true });
  let cursor: string | null = null;
  const load = async () => {
    try {
      const page: { data: AuditEntry[]; next_cursor: string | null } = await api('GET', `/audit-log?limit=50${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      for (const e of page.data) rows.append(row(e));
      cursor = page.next_cursor;
      more.hidden = cursor === null;
      if (rows.childElementCount === 0) replaceChildren(feedback, h('p', { class: 'empty', text: 'Nothing has happened to your keys yet.' }));
    } catch (error) {
      replaceChildren(feedback, errorBox(error));
    }
  };
  more.addEventListener('click', () => void load());
  replaceChildren(
    main,
    screenHeading('Audit log'),
    h('p', { class: 'muted', text: 'Who did what to which key, when and from where. Operators (command line) and admins (dashboard) both appear.' }),
    h(
      'div',
      { class: 'table-wrap' },
      h('table', { class: 'responsive' }, h('caption', { class: 'visually-hidden', text: 'Key lifecycle events, newest first' }), h('thead', null, h('tr', null, ['When', 'What', 'Key', 'Who', 'From'].map((t) => h('th', { scope: 'col', text: t })))), rows),
    ),
    feedback,
    more,
  );
  await load();
}

function row(e: AuditEntry): HTMLTableRowElement {
  return h(
    'tr',
    null,
    h('td', { 'data-label': 'When' }, h('time', { datetime: e.created_at, text: when(e.created_at) })),
    h('th', { scope: 'row', 'data-label': 'What', text: ACTION_LABEL[e.action] ?? e.action }),
    h('td', { 'data-label': 'Key' }, e.key_id ? h('a', { href: `#/keys/${e.key_id}` }, h('code', { text: e.key_id })) : '–'),
    h('td', { 'data-label': 'Who', text: `${ACTOR_LABEL[e.actor.type] ?? e.actor.type} ${e.actor.email ?? e.actor.id ?? ''}`.trim() }),
    h('td', { 'data-label': 'From', text: e.source_ip ?? 'command line' }),
  );
}

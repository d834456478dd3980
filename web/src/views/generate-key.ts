/** "Generate key": name, environment, scopes grouped by resource with what each allows, tier up to the org's ceiling; then the key, once. */
import { type CreatedKey, type Session, api } from '../api.js';
import { announce, h, replaceChildren } from '../dom.js';
import { scopeGroups, tiersUpTo } from '../catalogue.js';
import { capitalise, number } from '../format.js';
import { errorBox, screenHeading, secretPanel } from './common.js';

export function generateKeyScreen(main: HTMLElement, session: Session): void {
  const feedback = h('div');
  const name = h('input', { id: 'key-name', name: 'name', type: 'text', required: true, maxlength: '200', autocomplete: 'off', 'aria-describedby': 'key-name-hint' });
  const environments = h(
    'fieldset',
    { class: 'field' },
    h('legend', { text: 'Environment' }),
    radio('environment', 'sandbox', 'Sandbox', 'Test data; the key starts with sa_test_', true),
    radio('environment', 'production', 'Production', 'Live customer data; the key starts with sa_live_', false),
  );
  const scopes = h(
    'fieldset',
    { class: 'field scopes' },
    h('legend', { text: 'Scopes (what the key may do)' }),
    h('p', { class: 'muted', text: 'Grant only what the integration needs. No scope implies another; /v1/me works with none.' }),
    scopeGroups().map((group) =>
      h(
        'fieldset',
        { class: 'scope-group' },
        h('legend', { text: group.label }),
        group.scopes.map((scope) => {
          const id = `scope-${scope.name.replace(':', '-')}`;
          return h(
            'div',
            { class: 'check' },
            h('input', { type: 'checkbox', id, name: 'scopes', value: scope.name, 'aria-describedby': `${id}-desc` }),
            h('label', { for: id }, h('code', { text: scope.name })),
            h('p', { id: `${id}-desc`, class: 'description', text: scope.description }),
          );
        }),
      ),
    ),
  );
  const tier = h(
    'select',
    { id: 'key-tier', name: 'tier', 'aria-describedby': 'key-tier-hint' },
    tiersUpTo(session.org.max_tier).map((t) =>
      h('option', { value: t.name, disabled: !t.allowed, selected: t.name === 'standard' && t.allowed, text: `${capitalise(t.name)}: ${number.format(t.perMinute)}/min, ${number.format(t.perDay)}/day${t.allowed ? '' : " (above your org's plan)"}` }),
    ),
  );
  if (tier.selectedOptions[0]?.disabled || tier.selectedIndex < 0) tier.value = 'free';
  const submit = h('button', { type: 'submit', class: 'primary', text: 'Generate key' });
  const form = h(
    'form',
    {
      class: 'card',
      onsubmit: async (event: Event) => {
        event.preventDefault();
        submit.disabled = true;
        replaceChildren(feedback);
        const data = new FormData(form);
        try {
          const created = await api<CreatedKey>('POST', '/api-keys', {
            name: name.value,
            environment: data.get('environment'),
            scopes: data.getAll('scopes'),
            tier: tier.value,
          });
          announce(`Key ${created.name} created`);
          replaceChildren(main, screenHeading(`Key "${created.name}" created`), secretPanel(created.key, 'Copy your new key', () => (location.hash = `#/keys/${created.id}`)));
        } catch (error) {
          replaceChildren(feedback, errorBox(error));
          (feedback.firstElementChild as HTMLElement | null)?.focus?.();
        } finally {
          submit.disabled = false;
        }
      },
    },
    h('div', { class: 'field' }, h('label', { for: 'key-name', text: 'Name' }), h('p', { id: 'key-name-hint', class: 'muted', text: 'What uses this key, e.g. "Help-centre sync". 1-200 characters.' }), name),
    environments,
    scopes,
    h('div', { class: 'field' }, h('label', { for: 'key-tier', text: 'Rate-limit tier' }), h('p', { id: 'key-tier-hint', class: 'muted', text: `Your org may use tiers up to ${capitalise(session.org.max_tier)}.` }), tier),
    feedback,
    h('div', { class: 'actions' }, submit, h('a', { href: '#/keys', class: 'button secondary', text: 'Cancel' })),
  );
  replaceChildren(main, screenHeading('Generate an API key'), form);
}

function radio(group: string, value: string, label: string, description: string, checked: boolean): HTMLElement {
  const id = `${group}-${value}`;
  return h(
    'div',
    { class: 'check' },
    h('input', { type: 'radio', id, name: group, value, checked, 'aria-describedby': `${id}-desc` }),
    h('label', { for: id, text: label }),
    h('p', { id: `${id}-desc`, class: 'description', text: description }),
  );
}

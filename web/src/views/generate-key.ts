/** "Generate key": name, environment, scopes grouped by resource with what each allows, tier up to the org's ceiling; then the key, once. */
import { type CreatedKey, type Session, api } from '../api.js';
import { announce, h, replaceChildren } from '../dom.js';
import { errorBox, screenHeading, secretPanel } from './common.js';
import { nameField, scopesFieldset, tierField } from './key-fields.js';

export function generateKeyScreen(main: HTMLElement, session: Session): void {
  const feedback = h('div');
  const name = nameField();
  const environments = h(
    'fieldset',
    { class: 'field' },
    h('legend', { text: 'Environment' }),
    radio('environment', 'sandbox', 'Sandbox', 'Test data; the key starts with sa_test_', true),
    radio('environment', 'production', 'Production', 'Live customer data; the key starts with sa_live_', false),
  );
  const tier = tierField(session.org.max_tier, 'standard');
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
            name: name.input.value,
            environment: data.get('environment'),
            scopes: data.getAll('scopes'),
            tier: tier.select.value,
          });
          announce(`Key ${created.name} created`);
          replaceChildren(main, screenHeading(`Key "${created.name}" created`), secretPanel(created.key, 'Copy your new key', () => (location.hash = `#/keys/${created.id}`)));
        } catch (error) {
          replaceChildren(feedback, errorBox(error));
        } finally {
          submit.disabled = false;
        }
      },
    },
    name.field,
    environments,
    scopesFieldset(),
    tier.field,
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

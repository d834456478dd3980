/** The form fields a key is described with, shared by "Generate key" and "Edit key". */
import { h } from '../dom.js';
import { scopeGroups, tiersUpTo } from '../catalogue.js';
import { capitalise, number } from '../format.js';

export function nameField(value = ''): { field: HTMLElement; input: HTMLInputElement } {
  const input = h('input', { id: 'key-name', name: 'name', type: 'text', required: true, maxlength: '200', autocomplete: 'off', 'aria-describedby': 'key-name-hint', value });
  const field = h('div', { class: 'field' }, h('label', { for: 'key-name', text: 'Name' }), h('p', { id: 'key-name-hint', class: 'muted', text: 'What uses this key, e.g. "Help-centre sync". 1-200 characters.' }), input);
  return { field, input };
}

/** Checkboxes named `scopes`, grouped by resource, each with what it allows. */
export function scopesFieldset(selected: readonly string[] = []): HTMLFieldSetElement {
  return h(
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
            h('input', { type: 'checkbox', id, name: 'scopes', value: scope.name, checked: selected.includes(scope.name), 'aria-describedby': `${id}-desc` }),
            h('label', { for: id }, h('code', { text: scope.name })),
            h('p', { id: `${id}-desc`, class: 'description', text: scope.description }),
          );
        }),
      ),
    ),
  );
}

/** Tiers above the org's ceiling are listed but disabled, so the admin sees why they cannot pick them. */
export function tierField(maxTier: string, current = 'standard'): { field: HTMLElement; select: HTMLSelectElement } {
  const tiers = tiersUpTo(maxTier);
  const select = h(
    'select',
    { id: 'key-tier', name: 'tier', 'aria-describedby': 'key-tier-hint' },
    tiers.map((t) => h('option', { value: t.name, disabled: !t.allowed, text: `${capitalise(t.name)}: ${number.format(t.perMinute)}/min, ${number.format(t.perDay)}/day${t.allowed ? '' : " (above your org's plan)"}` })),
  );
  const allowed = tiers.filter((t) => t.allowed).map((t) => t.name as string);
  select.value = allowed.includes(current) ? current : (allowed[allowed.length - 1] ?? 'free');
  const field = h('div', { class: 'field' }, h('label', { for: 'key-tier', text: 'Rate-limit tier' }), h('p', { id: 'key-tier-hint', class: 'muted', text: `Your org may use tiers up to ${capitalise(maxTier)}.` }), select);
  return { field, select };
}

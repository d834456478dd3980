/** Pieces several screens share: headings that take focus, badges, error boxes, the once-only secret panel. */
import { ApiProblem } from '../api.js';
import { announce, h } from '../dom.js';
import { ENVIRONMENT_LABEL, STATUS_LABEL } from '../format.js';

/** The screen's heading; focused on arrival so keyboard and screen-reader users start at the top of the new screen. */
export function screenHeading(text: string): HTMLHeadingElement {
  const heading = h('h1', { tabindex: '-1', text });
  queueMicrotask(() => heading.focus());
  document.title = `${text} · Atender dashboard`;
  return heading;
}

export function environmentBadge(environment: string): HTMLSpanElement {
  return h('span', { class: `badge env-${environment}`, text: ENVIRONMENT_LABEL[environment] ?? environment });
}

export function statusBadge(status: string): HTMLSpanElement {
  return h('span', { class: `badge status-${status}`, text: STATUS_LABEL[status] ?? status });
}

export function errorBox(error: unknown): HTMLDivElement {
  const problem = error instanceof ApiProblem ? error.problem : null;
  const box = h(
    'div',
    { class: 'error', role: 'alert' },
    h('p', null, h('strong', { text: problem?.title ?? 'Something went wrong' }), ' ', problem?.detail ?? String(error)),
    problem?.errors?.length ? h('ul', null, problem.errors.map((e) => h('li', { text: `${e.path}: ${e.message}` }))) : null,
  );
  return box;
}

/** Shows a full key exactly once, with a copy button and a plain warning. */
export function secretPanel(key: string, heading: string, onDone: () => void): HTMLElement {
  const fieldId = 'new-secret';
  const status = h('p', { class: 'copy-status', role: 'status' });
  const field = h('input', { id: fieldId, class: 'secret', type: 'text', readonly: true, value: key, spellcheck: 'false', autocomplete: 'off', 'aria-describedby': 'secret-warning' });
  const copy = h('button', {
    type: 'button',
    class: 'primary',
    text: 'Copy key',
    onclick: async () => {
      try {
        await navigator.clipboard.writeText(key);
      } catch {
        field.select();
        document.execCommand('copy');
      }
      status.textContent = 'Copied to the clipboard.';
      announce('Key copied to the clipboard');
    },
  });
  const panel = h(
    'section',
    { class: 'secret-panel', 'aria-labelledby': 'secret-heading' },
    h('h2', { id: 'secret-heading', tabindex: '-1', text: heading }),
    h('p', { id: 'secret-warning', class: 'warning' }, h('strong', { text: "Copy this key now. You won't see it again." }), ' Atender stores only a fingerprint of it; if you lose it, rotate the key.'),
    h('label', { for: fieldId, text: 'Your new API key' }),
    h('div', { class: 'secret-row' }, field, copy),
    status,
    h('button', { type: 'button', class: 'secondary', text: "I've stored it safely", onclick: onDone }),
  );
  queueMicrotask(() => (panel.querySelector('#secret-heading') as HTMLElement | null)?.focus());
  return panel;
}

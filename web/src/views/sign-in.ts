/** The sign-in screen: email and password, with the server's refusal (wrong password, throttled) shown inline. */
import { ApiProblem, api } from '../api.js';
import { h, replaceChildren } from '../dom.js';
import { errorBox, screenHeading } from './common.js';

export function signInScreen(main: HTMLElement, onSignedIn: () => void): void {
  const feedback = h('div');
  const email = h('input', { id: 'email', name: 'email', type: 'email', autocomplete: 'username', required: true, maxlength: '254' });
  const password = h('input', { id: 'password', name: 'password', type: 'password', autocomplete: 'current-password', required: true, maxlength: '1024' });
  const submit = h('button', { type: 'submit', class: 'primary', text: 'Sign in' });
  const form = h(
    'form',
    {
      class: 'card narrow',
      onsubmit: async (event: Event) => {
        event.preventDefault();
        submit.disabled = true;
        replaceChildren(feedback);
        try {
          await api('POST', '/session', { email: email.value, password: password.value });
          onSignedIn();
        } catch (error) {
          const problem = error instanceof ApiProblem ? error.problem : null;
          if (problem?.code === 'too_many_requests' && problem.retryAfter) problem.detail = `Too many failed sign-ins. Try again in ${Math.ceil(problem.retryAfter / 60)} min.`;
          replaceChildren(feedback, errorBox(error));
          password.value = '';
          password.focus();
        } finally {
          submit.disabled = false;
        }
      },
    },
    h('p', { class: 'muted', text: 'Sign in as an org admin. `npm start` prints the demo credentials; an operator can reset a password with `atender admin reset-password`.' }),
    h('div', { class: 'field' }, h('label', { for: 'email', text: 'Email' }), email),
    h('div', { class: 'field' }, h('label', { for: 'password', text: 'Password' }), password),
    feedback,
    submit,
  );
  replaceChildren(main, screenHeading('Sign in to Atender'), form);
}

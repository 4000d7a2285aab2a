import { h, show } from '@attest/task-form/dom';
import { t } from '@attest/task-form/i18n';
import { Problem, request, setSession, type Session } from '../api.ts';
import { onAsync } from '../events.ts';

/** What a failed sign-in means for the person in front of the screen. */
function loginMessage(error: unknown): string {
  if (error instanceof Problem) {
    if (error.status === 401) return t('login.wrong');
    if (error.status === 423) return t('login.locked');
    if (error.status === 429) return t('login.tooMany');
    return t('login.failed', { detail: error.detail });
  }
  return t('login.failed', { detail: (error as Error).message });
}

function field(id: string, label: string, type: string, autocomplete: string, value = '') {
  const input = h('input', { id, name: id, type, autocomplete, required: true, value: value || undefined });
  return { input, row: h('div', { class: 'field' }, h('label', { for: id }, label), input) };
}

/**
 * The sign-in page. A user whose password is one-time or expired goes straight on to changing it
 * (A6); a locked account is told so (A4). `username` fixed: unlocking a locked session (A5).
 */
export function loginView(
  container: Element,
  done: (session: Session) => void,
  options: { username?: string; title?: string; note?: string; other?: () => void } = {},
): void {
  const username = field('username', t('login.username'), 'text', 'username', options.username);
  if (options.username) username.input.readOnly = true;
  const password = field('password', t('login.password'), 'password', 'current-password');
  const message = h('p', { class: 'message error', role: 'alert', hidden: true });
  const submit = h('button', { type: 'submit', class: 'primary' }, t('login.submit'));
  const form = h(
    'form',
    { class: 'card login', novalidate: true },
    h('h1', {}, options.title ?? t('login.title')),
    options.note ? h('p', { class: 'note' }, options.note) : null,
    username.row,
    password.row,
    message,
    submit,
    options.other ? h('button', { type: 'button', class: 'link', id: 'other-user' }, t('lock.other')) : null,
  );
  form.querySelector('#other-user')?.addEventListener('click', () => options.other?.());
  onAsync(form, 'submit', async (event) => {
    event.preventDefault();
    submit.disabled = true;
    message.hidden = true;
    try {
      const session = await request<Session>('POST', '/api/auth/login', {
        username: username.input.value.trim(),
        password: password.input.value,
      });
      setSession(session);
      if (session.mustChangePassword) passwordView(container, password.input.value, done);
      else done(session);
    } catch (error) {
      message.textContent = loginMessage(error);
      message.hidden = false;
      password.input.value = '';
      password.input.focus();
    } finally {
      submit.disabled = false;
    }
  });
  show(container, h('main', { class: 'centered' }, h('p', { class: 'brand' }, t('app.name')), form));
  (options.username ? password.input : username.input).focus();
}

/** The forced password change after a one-time or aged password (A4, A6). */
function passwordView(container: Element, current: string, done: (session: Session) => void): void {
  const now = field('current-password', t('password.current'), 'password', 'current-password', current);
  const next = field('new-password', t('password.new'), 'password', 'new-password');
  const again = field('confirm-password', t('password.confirm'), 'password', 'new-password');
  const message = h('p', { class: 'message error', role: 'alert', hidden: true });
  const form = h(
    'form',
    { class: 'card login', novalidate: true },
    h('h1', {}, t('password.title')),
    h('p', { class: 'note' }, t('password.why')),
    now.row,
    next.row,
    again.row,
    message,
    h('button', { type: 'submit', class: 'primary' }, t('password.submit')),
  );
  onAsync(form, 'submit', async (event) => {
    event.preventDefault();
    message.hidden = true;
    if (next.input.value !== again.input.value) {
      message.textContent = t('password.mismatch');
      message.hidden = false;
      return;
    }
    try {
      await request('POST', '/api/auth/password', {
        currentPassword: now.input.value,
        newPassword: next.input.value,
      });
      const renewed = await request<Session>('POST', '/api/auth/refresh');
      setSession(renewed);
      done(renewed);
    } catch (error) {
      message.textContent = error instanceof Problem ? error.detail : (error as Error).message;
      message.hidden = false;
    }
  });
  show(container, h('main', { class: 'centered' }, h('p', { class: 'brand' }, t('app.name')), form));
  next.input.focus();
}

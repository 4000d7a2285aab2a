import { t } from '@attest/task-form/i18n';
import { useEffect, useRef, useState } from 'preact/hooks';
import { Problem, setSession, type Session } from '../../api.ts';
import { api } from '../../api/client.ts';
import { leaveShell } from '../../app/Shell.tsx';
import { mountPage } from '../../app/page.tsx';
import { Field } from '../../ui/Field.tsx';
import { Message } from '../../ui/Message.tsx';

interface LoginOptions {
  /** Fixed: unlocking a locked session (A5). */
  username?: string;
  title?: string;
  note?: string;
  /** Offered on the lock screen: someone else signs in instead. */
  other?: () => void;
}

/**
 * Shows the sign-in page on the whole screen. A user whose password is one-time or expired goes
 * straight on to changing it (A6); a locked account is told so (A4).
 */
export function loginView(
  root: HTMLElement,
  done: (session: Session) => void,
  options: LoginOptions = {},
): void {
  leaveShell(root);
  mountPage(root, <LoginPage done={done} options={options} />);
}

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

function LoginPage(props: { done: (session: Session) => void; options: LoginOptions }) {
  // The password just typed, when the server asks for a new one before anything else.
  const [changing, setChanging] = useState<string | null>(null);
  return (
    <main class="centered">
      <p class="brand">{t('app.name')}</p>
      {changing === null ? (
        <SignInForm {...props.options} passwordToChange={setChanging} done={props.done} />
      ) : (
        <PasswordForm current={changing} done={props.done} />
      )}
    </main>
  );
}

function SignInForm(
  props: LoginOptions & { done: (session: Session) => void; passwordToChange: (current: string) => void },
) {
  const [username, setUsername] = useState(props.username ?? '');
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);
  const usernameInput = useRef<HTMLInputElement>(null);
  const passwordInput = useRef<HTMLInputElement>(null);
  useEffect(() => {
    (props.username ? passwordInput : usernameInput).current?.focus();
  }, []);

  const submit = (event: Event): void => {
    event.preventDefault();
    setBusy(true);
    setProblem(null);
    api
      .post('/api/auth/login', { body: { username: username.trim(), password } })
      .then((session) => {
        setSession(session);
        if (session.mustChangePassword) props.passwordToChange(password);
        else props.done(session);
      })
      .catch((error: unknown) => {
        setProblem(loginMessage(error));
        setPassword('');
        passwordInput.current?.focus();
      })
      .finally(() => setBusy(false));
  };

  return (
    <form class="card login" noValidate onSubmit={submit}>
      <h1>{props.title ?? t('login.title')}</h1>
      {props.note ? <p class="note">{props.note}</p> : null}
      <Field id="username" label={t('login.username')}>
        <input
          ref={usernameInput}
          id="username"
          name="username"
          type="text"
          autocomplete="username"
          required
          readOnly={Boolean(props.username)}
          value={username}
          onInput={(event) => setUsername(event.currentTarget.value)}
        />
      </Field>
      <Field id="password" label={t('login.password')}>
        <input
          ref={passwordInput}
          id="password"
          name="password"
          type="password"
          autocomplete="current-password"
          required
          value={password}
          onInput={(event) => setPassword(event.currentTarget.value)}
        />
      </Field>
      <Message tone="error">{problem}</Message>
      <button type="submit" class="primary" disabled={busy}>
        {t('login.submit')}
      </button>
      {props.other ? (
        <button type="button" class="link" id="other-user" onClick={props.other}>
          {t('lock.other')}
        </button>
      ) : null}
    </form>
  );
}

/** The forced password change after a one-time or aged password (A4, A6). */
function PasswordForm(props: { current: string; done: (session: Session) => void }) {
  const [current, setCurrent] = useState(props.current);
  const [next, setNext] = useState('');
  const [again, setAgain] = useState('');
  const [problem, setProblem] = useState<string | null>(null);
  const nextInput = useRef<HTMLInputElement>(null);
  useEffect(() => nextInput.current?.focus(), []);

  const submit = (event: Event): void => {
    event.preventDefault();
    setProblem(null);
    if (next !== again) {
      setProblem(t('password.mismatch'));
      return;
    }
    api
      .post('/api/auth/password', { body: { currentPassword: current, newPassword: next } })
      .then(() => api.post('/api/auth/refresh'))
      .then((renewed) => {
        setSession(renewed);
        props.done(renewed);
      })
      .catch((error: unknown) =>
        setProblem(error instanceof Problem ? error.detail : (error as Error).message),
      );
  };

  const field = (
    id: string,
    label: string,
    autocomplete: string,
    value: string,
    set: (v: string) => void,
  ) => (
    <Field id={id} label={label}>
      <input
        ref={id === 'new-password' ? nextInput : undefined}
        id={id}
        name={id}
        type="password"
        autocomplete={autocomplete}
        required
        value={value}
        onInput={(event) => set(event.currentTarget.value)}
      />
    </Field>
  );
  return (
    <form class="card login" noValidate onSubmit={submit}>
      <h1>{t('password.title')}</h1>
      <p class="note">{t('password.why')}</p>
      {field('current-password', t('password.current'), 'current-password', current, setCurrent)}
      {field('new-password', t('password.new'), 'new-password', next, setNext)}
      {field('confirm-password', t('password.confirm'), 'new-password', again, setAgain)}
      <Message tone="error">{problem}</Message>
      <button type="submit" class="primary">
        {t('password.submit')}
      </button>
    </form>
  );
}

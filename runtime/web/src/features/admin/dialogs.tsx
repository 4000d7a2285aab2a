import { t } from '@attest/task-form/i18n';
import { Fragment, type ComponentChild, type ComponentChildren } from 'preact';
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import type { Me } from '../../app/me.ts';
import { Field, fieldProps, meaningLabel, type Signature } from './common.tsx';

/**
 * A dialog of a page, shown with the page's tree: `open` shows what `make` builds (given the
 * function that closes it) and resolves true once the dialog's act succeeded, false when the person
 * cancelled. A dialog ends with its page, sending nothing.
 */
export function useDialog(): [
  ComponentChild,
  (make: (close: (done: boolean) => void) => ComponentChild) => Promise<boolean>,
] {
  const [shown, setShown] = useState<ComponentChild>(null);
  const count = useRef(0);
  const open = useCallback(
    (make: (close: (done: boolean) => void) => ComponentChild) =>
      new Promise<boolean>((resolve) => {
        const close = (done: boolean) => {
          setShown(null);
          resolve(done);
        };
        // Each dialog is new: none keeps what was typed into the one before.
        count.current += 1;
        setShown(<Fragment key={count.current}>{make(close)}</Fragment>);
      }),
    [],
  );
  return [shown, open];
}

/**
 * An in-page modal (never `window.prompt`): `submit` runs on confirm, and a message it returns keeps
 * the dialog open and is shown; null closes it as done. Cancel, Escape or leaving the page close it
 * with nothing sent.
 */
export function Modal(props: {
  id: string;
  title: string;
  confirm: string;
  children: ComponentChildren;
  submit(): Promise<string | null>;
  close(done: boolean): void;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  const busy = useRef(false);
  const [sending, setSending] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);
  useEffect(() => {
    const dialog = ref.current!;
    dialog.showModal();
    dialog.querySelector<HTMLElement>('input, textarea')?.focus();
    return () => {
      if (dialog.open) dialog.close();
    };
  }, []);
  const cancel = () => {
    if (!busy.current) props.close(false);
  };
  const submit = (event: Event) => {
    event.preventDefault();
    if (busy.current) return;
    busy.current = true;
    setSending(true);
    setProblem(null);
    const settle = () => {
      busy.current = false;
      setSending(false);
    };
    props.submit().then(
      (said) => {
        settle();
        if (said === null) props.close(true);
        else setProblem(said);
      },
      (error: unknown) => {
        settle();
        reportError(error);
      },
    );
  };
  const titleId = `${props.id}-title`;
  return (
    <dialog
      ref={ref}
      id={props.id}
      class="modal"
      aria-labelledby={titleId}
      onCancel={(event) => {
        event.preventDefault();
        cancel();
      }}
    >
      <form class="dialog-body" noValidate onSubmit={submit}>
        <h2 id={titleId}>{props.title}</h2>
        {props.children}
        <p class="message error" role="alert" hidden={problem === null}>
          {problem ?? ''}
        </p>
        <div class="actions">
          <button type="button" data-action="cancel" disabled={sending} onClick={cancel}>
            {t('common.cancel')}
          </button>
          <button type="submit" class="primary" data-action="confirm" disabled={sending}>
            {props.confirm}
          </button>
        </div>
      </form>
    </dialog>
  );
}

/**
 * The electronic signature of an administrative act (B1, B2): its meaning and the signer shown,
 * the password typed again, a reason where one is needed. Proposed: the act takes effect once a
 * second administrator approves it (dual control, A3).
 */
export function SignatureDialog(props: {
  id: string;
  title: string;
  /** What the signature is given for, in a sentence. */
  act: string;
  meaning: 'Approved' | 'Rejected' | 'Proposed';
  me: Me;
  /** More of the dialog before the password, e.g. the roles being granted. */
  children?: ComponentChildren;
  /** A reason: required (a rejection, B3), optional, or none asked. */
  reason: 'required' | 'optional' | 'none';
  confirm: string;
  /** Sends the signature; a message keeps the dialog open and shows it, null closes it. */
  send(signature: Signature): Promise<string | null>;
  close(done: boolean): void;
}) {
  const { id } = props;
  const [password, setPassword] = useState('');
  const [reason, setReason] = useState('');
  const [errors, setErrors] = useState<{ password?: string; reason?: string }>({});
  const passwordInput = useRef<HTMLInputElement>(null);
  const reasonInput = useRef<HTMLTextAreaElement>(null);
  const submit = async (): Promise<string | null> => {
    setErrors({});
    const why = reason.trim();
    if (!password) {
      setErrors({ password: t('admin.required') });
      passwordInput.current?.focus();
      return t('admin.sign.passwordMissing');
    }
    if (props.reason === 'required' && !why) {
      setErrors({ reason: t('admin.required') });
      reasonInput.current?.focus();
      return t('admin.reasonMissing');
    }
    const problem = await props.send({ password, ...(why && { reason: why }) });
    if (problem !== null) {
      setPassword('');
      passwordInput.current?.focus();
    }
    return problem;
  };
  return (
    <Modal id={id} title={props.title} confirm={props.confirm} submit={submit} close={props.close}>
      <p>{props.act}</p>
      <p class="meaning" id={`${id}-meaning`}>
        {t('admin.sign.meaning', { meaning: meaningLabel(props.meaning) })}
      </p>
      <p id={`${id}-signer`}>
        {t('admin.sign.signer', { name: props.me.user.printedName, username: props.me.user.username })}
      </p>
      {props.children}
      <Field id={`${id}-password`} label={t('admin.sign.password')} error={errors.password}>
        <input
          ref={passwordInput}
          type="password"
          autocomplete="current-password"
          {...fieldProps(`${id}-password`, errors.password)}
          value={password}
          onInput={(event) => setPassword(event.currentTarget.value)}
        />
      </Field>
      {props.reason === 'none' ? null : (
        <Field
          id={`${id}-reason`}
          label={
            props.reason === 'required' ? t('admin.sign.reasonRequired') : t('admin.sign.reasonOptional')
          }
          hint={t('admin.sign.reasonHint')}
          error={errors.reason}
        >
          <textarea
            ref={reasonInput}
            rows={2}
            maxLength={1000}
            {...fieldProps(`${id}-reason`, errors.reason)}
            value={reason}
            onInput={(event) => setReason(event.currentTarget.value)}
          />
        </Field>
      )}
      <p class="note">{t('admin.sign.binding')}</p>
    </Modal>
  );
}

/** An act that is not signed but needs a reason (B3): deactivating, resetting, retiring. */
export function ReasonDialog(props: {
  id: string;
  title: string;
  text: string;
  confirm: string;
  send(reason: string): Promise<string | null>;
  close(done: boolean): void;
}) {
  const [reason, setReason] = useState('');
  const [error, setError] = useState<string | null>(null);
  const id = `${props.id}-reason`;
  const submit = async (): Promise<string | null> => {
    const why = reason.trim();
    setError(why ? null : t('admin.required'));
    if (!why) return t('admin.reasonMissing');
    return props.send(why);
  };
  return (
    <Modal id={props.id} title={props.title} confirm={props.confirm} submit={submit} close={props.close}>
      <p>{props.text}</p>
      <Field id={id} label={t('admin.reason')} hint={t('admin.reasonHint')} error={error}>
        <textarea
          rows={3}
          maxLength={1000}
          {...fieldProps(id, error)}
          value={reason}
          onInput={(event) => setReason(event.currentTarget.value)}
        />
      </Field>
    </Modal>
  );
}

/** Asks before an act that needs neither reason nor signature. */
export function ConfirmDialog(props: {
  id: string;
  title: string;
  text: string;
  confirm: string;
  send(): Promise<string | null>;
  close(done: boolean): void;
}) {
  return (
    <Modal id={props.id} title={props.title} confirm={props.confirm} submit={props.send} close={props.close}>
      <p>{props.text}</p>
    </Modal>
  );
}

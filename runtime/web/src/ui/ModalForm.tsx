import { t } from '@attest/task-form/i18n';
import { Fragment, type ComponentChild, type ComponentChildren } from 'preact';
import { useCallback, useLayoutEffect, useRef, useState } from 'preact/hooks';
import { Field, fieldProps } from './Field.tsx';
import { Message } from './Message.tsx';

/**
 * An in-page modal with a form (never `window.prompt`): `submit` runs on confirm — a message keeps
 * the dialog open and shows it, null closes it with `onClose(true)`. Cancel, Escape or leaving the
 * page close it without sending anything. It lives in the page that shows it, so it ends with that page.
 */
export function ModalForm(props: {
  id: string;
  title: string;
  confirm: string;
  submit(): Promise<string | null>;
  onClose(done: boolean): void;
  children: ComponentChildren;
}) {
  const dialog = useRef<HTMLDialogElement>(null);
  // A second confirm before the state shows the first one under way must not send twice.
  const busy = useRef(false);
  const [sending, setSending] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);
  const titleId = `${props.id}-title`;

  useLayoutEffect(() => {
    const element = dialog.current!;
    element.showModal();
    element.querySelector<HTMLElement>('input, textarea')?.focus();
    return () => {
      if (element.open) element.close();
    };
  }, []);

  const cancel = (): void => {
    if (!busy.current) props.onClose(false);
  };
  const submit = (event: Event): void => {
    event.preventDefault();
    if (busy.current) return;
    busy.current = true;
    setSending(true);
    setProblem(null);
    const settle = (): void => {
      busy.current = false;
      setSending(false);
    };
    props.submit().then(
      (answer) => {
        settle();
        if (answer === null) props.onClose(true);
        else setProblem(answer);
      },
      (error: unknown) => {
        settle();
        reportError(error);
      },
    );
  };

  return (
    <dialog
      ref={dialog}
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
        <Message tone="error">{problem}</Message>
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

/** Asks before an act that needs neither reason nor signature. */
export function ConfirmDialog(props: {
  id: string;
  title: string;
  text: string;
  confirm: string;
  send(): Promise<string | null>;
  onClose(done: boolean): void;
}) {
  return (
    <ModalForm
      id={props.id}
      title={props.title}
      confirm={props.confirm}
      submit={props.send}
      onClose={props.onClose}
    >
      <p>{props.text}</p>
    </ModalForm>
  );
}

/** An act that is not signed but needs a reason (B3): deactivating, resetting, retiring. */
export function ReasonDialog(props: {
  id: string;
  title: string;
  text: string;
  confirm: string;
  send(reason: string): Promise<string | null>;
  onClose(done: boolean): void;
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
    <ModalForm
      id={props.id}
      title={props.title}
      confirm={props.confirm}
      submit={submit}
      onClose={props.onClose}
    >
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
    </ModalForm>
  );
}

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

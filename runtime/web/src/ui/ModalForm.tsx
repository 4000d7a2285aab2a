import { t } from '@attest/task-form/i18n';
import type { ComponentChildren } from 'preact';
import { useLayoutEffect, useRef, useState } from 'preact/hooks';
import { Message } from './Message.tsx';

/**
 * An in-page modal with a form (never `window.prompt`), the Preact form of ui/dialog.ts's
 * `openDialog`: `submit` runs on confirm — a message keeps the dialog open and shows it, null
 * closes it with `onClose(true)`. Cancel, Escape or leaving the page close it without sending
 * anything. It lives in the page that shows it, so it ends with that page.
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
  const [busy, setBusy] = useState(false);
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
    if (!busy) props.onClose(false);
  };
  const submit = (event: Event): void => {
    event.preventDefault();
    if (busy) return;
    setBusy(true);
    setProblem(null);
    props
      .submit()
      .then((answer) => {
        setBusy(false);
        if (answer === null) props.onClose(true);
        else setProblem(answer);
      })
      .catch((error: unknown) => {
        setBusy(false);
        reportError(error);
      });
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
          <button type="button" data-action="cancel" disabled={busy} onClick={cancel}>
            {t('common.cancel')}
          </button>
          <button type="submit" class="primary" data-action="confirm" disabled={busy}>
            {props.confirm}
          </button>
        </div>
      </form>
    </dialog>
  );
}
